// Leaks: a full flow through the real route handlers with every log line captured at trace level, then no
// secret value, token or session id may appear in logs, error bodies, Redis (keys or values) or any
// database row. Only the two places that must carry them (the credentials body, the token issuers) do.
import { scanKeys } from "@/test/redis-scan";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import type * as Log from "@/lib/log";

const { captured } = vi.hoisted(() => {
  process.env.LOG_LEVEL = "trace";
  return { captured: [] as string[] };
});
vi.mock("@/lib/log", async (importOriginal) => {
  const real = await importOriginal<typeof Log>();
  return { ...real, log: real.createLogger({ write: (line: string) => void captured.push(line) }) };
});

import { db } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { createPortalSession } from "@/lib/portal/sessions";
import { redis } from "@/lib/redis/client";
import { issueServiceToken } from "@/lib/tokens/registry";
import { makeMember, makeWorkspace } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import * as jobsRoute from "@/app/api/v1/jobs/route";
import * as jobRoute from "@/app/api/v1/jobs/[jobId]/route";
import * as completeRoute from "@/app/api/v1/jobs/[jobId]/complete/route";
import * as credentialsRoute from "@/app/api/v1/worker/jobs/[jobId]/credentials/route";
import * as rotateRoute from "@/app/api/v1/worker/jobs/[jobId]/token/rotate/route";
import * as secretsRoute from "@/app/api/portal/secrets/route";
import * as secretRoute from "@/app/api/portal/secrets/[name]/route";
import * as redeemRoute from "@/app/api/v1/invites/redeem/route";
import { createInvite } from "@/lib/invites/manage";

afterAll(closeLazyClients);

describe("no secret, token or session id leaks", () => {
  it("keeps them out of logs, error bodies, Redis and the database through a full flow", async () => {
    const value = `canary-value-${randomBytes(12).toString("hex")}`;
    const value2 = `canary-value-${randomBytes(12).toString("hex")}`;
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const session = await createPortalSession({ workspaceId, userId: m.userId, method: "link" });
    const cookie = { cookie: `gh_session=${session.id}`, origin: "http://localhost:3000", "content-type": "application/json" };
    const service = await issueServiceToken({ workspaceId, actor: { type: "system" } });
    const carried: string[] = []; // bodies that legitimately carry a value or token
    const others: string[] = []; // every other body, which must not

    const put = await call(secretRoute.PUT, "/api/portal/secrets/KEY", { method: "PUT", headers: cookie, body: JSON.stringify({ value }), params: { name: "KEY" } });
    expect(put.status).toBe(201);
    others.push(put.text);
    others.push((await call(secretRoute.PUT, "/api/portal/secrets/KEY", { method: "PUT", headers: cookie, body: JSON.stringify({ value: value2 }), params: { name: "KEY" } })).text);
    others.push((await call(secretRoute.PUT, "/api/portal/secrets/bad name", { method: "PUT", headers: cookie, body: JSON.stringify({ value }), params: { name: "bad name" } })).text);
    others.push((await call(secretRoute.PUT, "/api/portal/secrets/KEY", { method: "PUT", headers: cookie, body: `{"value": "${value}"`, params: { name: "KEY" } })).text);
    others.push((await call(secretRoute.PUT, "/api/portal/secrets/KEY", { method: "PUT", headers: { ...cookie, origin: "https://evil.example" }, body: JSON.stringify({ value }), params: { name: "KEY" } })).text);
    others.push((await call(secretsRoute.GET, "/api/portal/secrets", { headers: cookie })).text);

    const created = await call(jobsRoute.POST, "/api/v1/jobs", {
      method: "POST",
      headers: { ...bearer(service.token), "content-type": "application/json" },
      body: JSON.stringify({ user: { platform: "telegram", id: m.telegramId }, grants: [{ secret: "KEY", envVar: "API_KEY" }] }),
    });
    expect(created.status).toBe(201);
    carried.push(created.text);
    const { jobId, token } = created.body as { jobId: string; token: string };
    others.push((await call(jobsRoute.POST, "/api/v1/jobs", { method: "POST", headers: { ...bearer(service.token), "content-type": "application/json" }, body: JSON.stringify({ user: { platform: "telegram", id: m.telegramId }, grants: [{ secret: "NOPE", envVar: "PATH" }] }) })).text);
    others.push((await call(jobRoute.GET, `/api/v1/jobs/${jobId}`, { headers: bearer(service.token), params: { jobId } })).text);

    const served = await call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: bearer(token), params: { jobId } });
    expect(served.body).toEqual([{ env_var: "API_KEY", value: value2 }]);
    carried.push(served.text);
    const rotated = await call(rotateRoute.POST, `/api/v1/worker/jobs/${jobId}/token/rotate`, { method: "POST", headers: bearer(token), params: { jobId } });
    expect(rotated.status).toBe(200);
    carried.push(rotated.text);
    const newToken = (rotated.body as { token: string }).token;
    for (const headers of [bearer(service.token), { authorization: `Signed ${token}` }, bearer(`${token}x`), { authorization: token }]) {
      others.push((await call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers, params: { jobId } })).text);
    }
    others.push((await call(rotateRoute.POST, `/api/v1/worker/jobs/${jobId}/token/rotate`, { method: "POST", headers: bearer(token), params: { jobId } })).text);
    others.push((await call(jobsRoute.POST, "/api/v1/jobs", { method: "POST", headers: { ...bearer(token), "content-type": "application/json" }, body: "{}" })).text);
    // A decrypt failure is logged (as a warning) and denied: neither may carry the value.
    await db.secret.updateMany({ where: { workspaceId, userId: m.userId }, data: { keyId: "other" } });
    const stolen = await db.secret.findFirstOrThrow({ where: { workspaceId, userId: m.userId }, select: { ciphertext: true } });
    const flipped = Buffer.from(stolen.ciphertext);
    flipped[flipped.length - 1]! ^= 1;
    await db.secret.updateMany({ where: { workspaceId, userId: m.userId }, data: { ciphertext: new Uint8Array(flipped) } });
    const denied = await call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: bearer(newToken), params: { jobId } });
    expect(denied.status).toBe(403);
    others.push(denied.text);
    others.push((await call(completeRoute.POST, `/api/v1/jobs/${jobId}/complete`, { method: "POST", headers: bearer(service.token), params: { jobId } })).text);
    others.push((await call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: bearer(newToken), params: { jobId } })).text);
    // An invite code is shown once, by its issuer; redeeming it, well or badly, never echoes it.
    const invite = await createInvite({ workspaceId, acting: "operator", actor: { type: "system" } });
    const redeem = (code: string) =>
      call(redeemRoute.POST, "/api/v1/invites/redeem", { method: "POST", headers: { ...bearer(service.token), "content-type": "application/json" }, body: JSON.stringify({ code, user: { platform: "telegram", id: "4242424242" } }) });
    const joined = await redeem(invite.code);
    expect(joined.status).toBe(201);
    others.push(joined.text);
    for (const code of [invite.code, `${invite.code}x`, invite.code.slice(0, -1)]) others.push((await redeem(code)).text);
    await new Promise((r) => setTimeout(r, 200));

    const needles = [value, value2, token, newToken, service.token, session.id, token.slice(7), newToken.slice(7), service.token.slice(7), invite.code.slice(7, -1)];
    const haystacks: [string, string][] = [["logs", captured.join("")], ...others.map((o, i): [string, string] => [`error/other body ${i}`, o])];
    const keys = await scanKeys(redis);
    haystacks.push(["redis keys", keys.join("\n")]);
    for (const k of keys) if ((await redis.type(k)) === "string") haystacks.push([`redis ${k}`, (await redis.get(k)) ?? ""]);
    const tables = await db.$queryRaw<{ tablename: string }[]>`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`;
    for (const { tablename } of tables) {
      const rows = await db.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${tablename}" t`);
      haystacks.push([`table ${tablename}`, rows.map((r) => r.row).join("\n")]);
    }
    expect(captured.join("")).toContain("a granted secret could not be decrypted");
    for (const [where, text] of haystacks) {
      for (const needle of needles) expect(text.includes(needle), `${where} contains a secret or token`).toBe(false);
    }
    expect(carried.join("")).toContain(value2);
  });
});
