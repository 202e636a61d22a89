// Redis state that is not what Gatehouse wrote (not JSON, the wrong shape) is no state: every reader denies,
// and the portal API answers 401, never a 500.
import { afterAll, describe, expect, it } from "vitest";
import { call } from "@/test/http/routes";
import { generateOpaqueId, sha256Hex } from "../crypto/opaque";
import { closeLazyClients } from "../lazy";
import { consumePendingIdentity } from "../links/pending";
import { consumeLinkSession, peekLinkSession } from "../links/sessions";
import { endPortalSessionById, getPortalSession } from "../portal/sessions";
import { redis } from "./client";
import { redisKeys } from "./keys";

afterAll(closeLazyClients);

const CORRUPT = ["{not json", "null", "42", '"a string"', '{"workspaceId":"x"}', "[]"];

describe("corrupt Redis state", () => {
  it.each(CORRUPT)("a portal session holding %j is no session", async (value) => {
    const id = generateOpaqueId();
    await redis.set(redisKeys.portalSession(sha256Hex(id)), value, "EX", 60);
    expect(await getPortalSession(id)).toBeNull();
    await expect(endPortalSessionById(id)).resolves.toBeUndefined();
  });

  it.each(CORRUPT)("a link or pending state holding %j is no link", async (value) => {
    const id = generateOpaqueId();
    await redis.set(redisKeys.linkSession(sha256Hex(id)), value, "EX", 60);
    expect(await peekLinkSession(id)).toBeNull();
    expect(await consumeLinkSession(id)).toBeNull();
    const pending = generateOpaqueId();
    await redis.set(redisKeys.oauthPending(sha256Hex(pending)), value, "EX", 60);
    expect(await consumePendingIdentity(pending)).toBeNull();
  });

  it("makes the portal JSON API answer 401, not 500", async () => {
    const { GET } = await import("@/app/api/portal/secrets/route");
    const id = generateOpaqueId();
    await redis.set(redisKeys.portalSession(sha256Hex(id)), "{not json", "EX", 60);
    const res = await call(GET, "/api/portal/secrets", { headers: { cookie: `gh_session=${id}` } });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: "unauthorized" } });
  });
});
