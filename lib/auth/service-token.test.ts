// withServiceToken: an orchestrator that shares its address with a flood of refused tokens keeps working.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import { getConfig } from "../config";
import { closeLazyClients } from "../lazy";
import { issueServiceToken } from "../tokens/registry";
import { withServiceToken } from "./service-token";

afterAll(closeLazyClients);

const route = withServiceToken(async (_req, { principal }) => Response.json({ workspaceId: principal.workspaceId }));

describe("withServiceToken", () => {
  it("past an address's budget of refused tokens, its unknown tokens get 429 and the orchestrator's own token still works", async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 5000) await new Promise((r) => setTimeout(r, left + 50));
    const { workspaceId } = await makeWorkspace();
    const { token } = await issueServiceToken({ workspaceId, actor: { type: "system", id: "test" } });
    const ip = `10.6.${randomBytes(2).join(".")}`;
    const from = (t: string) => ({ headers: { ...bearer(t), "x-forwarded-for": ip } });
    const random = () => `gh_svc_${randomBytes(32).toString("base64url")}`;
    for (let i = 0; i < getConfig().rateLimits.unknownTokenPerMinute; i++) expect((await call(route, "/x", from(random()))).status).toBe(401);
    expect((await call(route, "/x", from(random()))).status).toBe(429);
    expect(await call(route, "/x", from(token))).toMatchObject({ status: 200, body: { workspaceId } });
  });
});
