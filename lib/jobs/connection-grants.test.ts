// Connection grants (SPEC §12) through the real routes: resolved at creation to the owner's own connection only,
// shown without values, served as a currently valid access token, denied with the one 403 for every reason; and
// no access or refresh token in logs, error bodies, Redis or any database row in clear.
import { scanKeys } from "@/test/redis-scan";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as Log from "@/lib/log";

const { captured } = vi.hoisted(() => {
  process.env.LOG_LEVEL = "trace";
  return { captured: [] as string[] };
});
vi.mock("@/lib/log", async (importOriginal) => {
  const real = await importOriginal<typeof Log>();
  return { ...real, log: real.createLogger({ write: (line: string) => void captured.push(line) }) };
});

import * as jobsRoute from "@/app/api/v1/jobs/route";
import * as jobRoute from "@/app/api/v1/jobs/[jobId]/route";
import * as credentialsRoute from "@/app/api/v1/worker/jobs/[jobId]/credentials/route";
import { addMember } from "@/lib/members/membership";
import { db, onDbQuery } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { redis } from "@/lib/redis/client";
import { saveConnection } from "@/lib/connections/store";
import { issueServiceToken } from "@/lib/tokens/registry";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { connectTestProvider, startTestAS, type TestAS } from "@/test/fixtures/connection";
import { bearer, call } from "@/test/http/routes";

let as: TestAS;
beforeAll(async () => {
  as = await startTestAS();
});
afterAll(async () => {
  await as?.stop();
  await closeLazyClients();
});

const MCP = "https://mcp.example.test/mcp";

async function createJob(serviceToken: string, telegramId: string, grants: unknown[]) {
  return call(jobsRoute.POST, "/api/v1/jobs", {
    method: "POST",
    headers: { ...bearer(serviceToken), "content-type": "application/json" },
    body: JSON.stringify({ user: { platform: "telegram", id: telegramId }, grants }),
  });
}

const read = (token: string, jobId: string) => call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: bearer(token), params: { jobId } });

describe("connection grants", () => {
  it("are resolved to the owner's connection only: another user's or workspace's is connection_not_found, and named in missing_connections", async () => {
    const { workspaceId } = await makeWorkspace();
    const alice = await makeMember(workspaceId);
    const bob = await makeMember(workspaceId, { KEY: "bob-key" });
    await connectTestProvider({ as, workspaceId, userId: alice.userId });
    // Bob is also a member of another workspace, where he has the same provider connected.
    const other = await makeWorkspace();
    await addMember({ workspaceId: other.workspaceId, identity: { platform: "telegram", externalId: bob.telegramId }, displayName: "Bob", role: "member", actor: { type: "system" } });
    await connectTestProvider({ as, workspaceId: other.workspaceId, userId: bob.userId, login: "bob" });
    await saveConnection({
      workspaceId,
      userId: alice.userId,
      ref: { kind: "mcp", serverUrl: MCP },
      issuer: "https://as.example.test",
      resource: MCP,
      upstreamAccount: null,
      upstreamSubject: null,
      scopes: [],
      tokens: { accessToken: "alice-mcp-token", refreshToken: null, tokenType: "bearer" },
      expiresAt: null,
      actor: { type: "user", id: alice.userId },
    });
    const service = await issueServiceToken({ workspaceId, actor: { type: "system" } });

    const refused = await createJob(service.token, bob.telegramId, [
      { secret: "KEY", envVar: "KEY" },
      { connection: "corp", envVar: "CORP_TOKEN" },
      { mcp: "https://MCP.example.test/mcp", envVar: "MCP_TOKEN" },
      { connection: "Not_An_Id", envVar: "BAD" },
      { secret: "MISSING", envVar: "CORP_TOKEN" },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      error: {
        code: "invalid_grants",
        message: "Some grants are invalid.",
        details: {
          grants: [
            { index: 1, connection: "corp", envVar: "CORP_TOKEN", reasons: ["connection_not_found"] },
            { index: 2, mcp: "https://MCP.example.test/mcp", envVar: "MCP_TOKEN", reasons: ["connection_not_found"] },
            { index: 3, connection: "Not_An_Id", envVar: "BAD", reasons: ["invalid_provider_id"] },
            { index: 4, secret: "MISSING", envVar: "CORP_TOKEN", reasons: ["duplicate_env_var", "secret_not_found"] },
          ],
          missing_secrets: ["MISSING"],
          missing_connections: ["corp", MCP],
        },
      },
    });
    expect(await db.job.count({ where: { workspaceId, ownerUserId: bob.userId } })).toBe(0);

    const created = await createJob(service.token, alice.telegramId, [
      { mcp: "https://MCP.example.test/mcp", envVar: "MCP_TOKEN" },
      { connection: "corp", envVar: "CORP_TOKEN" },
    ]);
    expect(created.status).toBe(201);
    const { jobId, token } = created.body as { jobId: string; token: string };
    const view = await call(jobRoute.GET, `/api/v1/jobs/${jobId}`, { headers: bearer(service.token), params: { jobId } });
    expect((view.body as { grants: unknown }).grants).toEqual([
      { connection: "corp", envVar: "CORP_TOKEN" },
      { mcp: MCP, envVar: "MCP_TOKEN" },
    ]);
    const createdEvent = await db.auditEvent.findFirstOrThrow({ where: { workspaceId, action: "job.created", target: `job:${jobId}` } });
    expect(JSON.stringify(createdEvent.data)).not.toContain("alice-mcp-token");
    expect((createdEvent.data as { grants: unknown[] }).grants).toMatchObject([{ mcp: MCP, envVar: "MCP_TOKEN" }, { connection: "corp", envVar: "CORP_TOKEN" }]);

    // The connection grants ride in the batch's one read: the same statements as for secrets alone.
    const statements: string[] = [];
    const stop = onDbQuery((sql) => void statements.push(sql));
    let served;
    try {
      served = await read(token, jobId);
    } finally {
      stop();
    }
    expect(statements.filter((q) => /job_connection_grants/.test(q))).toHaveLength(1);
    // Two round trips, as for secrets alone: the read, then the audit INSERT with the COMMIT.
    expect(statements).toHaveLength(2);
    expect(served.status).toBe(200);
    const values = served.body as { env_var: string; value: string }[];
    expect(values.map((v) => v.env_var)).toEqual(["CORP_TOKEN", "MCP_TOKEN"]);
    expect(values[1]!.value).toBe("alice-mcp-token");
    expect(await as.introspect(values[0]!.value)).toMatchObject({ active: true, sub: "alice-sub" });
  });

  it("a grant row forged to point at another owner's connection is refused by the composite foreign key", async () => {
    const { workspaceId } = await makeWorkspace();
    const alice = await makeMember(workspaceId);
    const bob = await makeMember(workspaceId);
    const bobs = await connectTestProvider({ as, workspaceId, userId: bob.userId });
    const job = await makeJob(workspaceId, alice.telegramId);
    const forged = db.$executeRaw`
      INSERT INTO job_connection_grants (job_id, workspace_id, owner_user_id, env_var, kind, ref, connection_id)
      VALUES (${job.jobId}::uuid, ${workspaceId}::uuid, ${alice.userId}::uuid, 'STOLEN', 'connection', 'corp', ${bobs.connectionId}::uuid)`;
    await expect(forged).rejects.toMatchObject({ code: "P2010" });
    expect(await db.jobConnectionGrant.count({ where: { jobId: job.jobId } })).toBe(0);
  });

  it("denies with the one 403 when the connection is deleted, needs reconnect or does not decrypt, and the audit says why", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "k" });
    const c = await connectTestProvider({ as, workspaceId, userId: m.userId });
    const grants = [{ secret: "KEY", envVar: "KEY" }, { connection: "corp", envVar: "CORP_TOKEN" }];
    const a = await makeJob(workspaceId, m.telegramId, grants);
    const ok = await read(a.token, a.jobId);
    expect(ok.body).toEqual([{ env_var: "CORP_TOKEN", value: c.tokens.accessToken }, { env_var: "KEY", value: "k" }]);

    const bodies: string[] = [];
    const reasons = async () => (await db.auditEvent.findMany({ where: { workspaceId, action: "credentials.denied" }, orderBy: { seq: "asc" } })).map((e) => e.data);

    await db.connection.update({ where: { id: c.connectionId }, data: { status: "needs_reconnect", statusReason: "invalid_grant" } });
    bodies.push((await read(a.token, a.jobId)).text);
    const box = await db.connection.findUniqueOrThrow({ where: { id: c.connectionId }, select: { tokens: true } });
    const flipped = Buffer.from(box.tokens);
    flipped[flipped.length - 1]! ^= 1;
    await db.connection.update({ where: { id: c.connectionId }, data: { status: "active", tokens: new Uint8Array(flipped) } });
    bodies.push((await read(a.token, a.jobId)).text);
    await db.connection.delete({ where: { id: c.connectionId } });
    bodies.push((await read(a.token, a.jobId)).text);
    // Reconnecting creates a new connection: the job keeps its grant of the old one, which stays denied.
    await connectTestProvider({ as, workspaceId, userId: m.userId, addProvider: false });
    bodies.push((await read(a.token, a.jobId)).text);

    expect(new Set(bodies)).toEqual(new Set([JSON.stringify({ error: { code: "forbidden", message: "This job may not receive credentials." } })]));
    expect(await reasons()).toMatchObject([
      { reason: "connection_needs_reconnect", connections: ["provider:corp"] },
      { reason: "decrypt_failed" },
      { reason: "connection_deleted", connections: ["provider:corp"] },
      { reason: "connection_deleted", connections: ["provider:corp"] },
    ]);
  });

  it("leaks no access or refresh token into logs, error bodies, Redis or any database row", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const first = await connectTestProvider({ as, workspaceId, userId: m.userId });
    const job = await makeJob(workspaceId, m.telegramId, [{ connection: "corp", envVar: "CORP_TOKEN" }]);
    const others: string[] = [];
    // Due: refreshed through the route, so the refresh path's logging and Redis keys are exercised too.
    await db.$executeRaw`UPDATE connections SET obtained_at = now() - interval '1 hour', access_expires_at = now() + interval '30 seconds' WHERE id = ${first.connectionId}::uuid`;
    const served = await read(job.token, job.jobId);
    expect(served.status).toBe(200);
    const second = (served.body as { value: string }[])[0]!.value;
    // Down, then refused: 503 and 403 bodies and their log lines.
    await db.$executeRaw`UPDATE connections SET obtained_at = now() - interval '1 hour', access_expires_at = now() + interval '30 seconds' WHERE id = ${first.connectionId}::uuid`;
    as.script({ nextRefresh: "down" });
    const down = await read(job.token, job.jobId);
    expect(down.status).toBe(503);
    others.push(down.text);
    await new Promise((r) => setTimeout(r, 3200));
    as.script({ nextRefresh: "invalid_grant" });
    const refused = await read(job.token, job.jobId);
    expect(refused.status).toBe(403);
    others.push(refused.text);
    const row = await db.connection.findUniqueOrThrow({ where: { id: first.connectionId }, select: { status: true } });
    expect(row.status).toBe("needs_reconnect");
    await new Promise((r) => setTimeout(r, 100));

    const stored = await db.connection.findUniqueOrThrow({ where: { id: first.connectionId }, select: { tokens: true, workspaceId: true, userId: true, id: true } });
    const { openTokens, tokensOwner } = await import("@/lib/connections/store");
    const latest = openTokens(tokensOwner(stored.workspaceId, stored.userId, stored.id), stored.tokens);
    const needles = [first.tokens.accessToken, first.tokens.refreshToken!, second, latest.accessToken, latest.refreshToken!, as.clientSecret];
    const haystacks: [string, string][] = [["logs", captured.join("")], ...others.map((o, i): [string, string] => [`error body ${i}`, o])];
    const keys = await scanKeys(redis);
    haystacks.push(["redis keys", keys.join("\n")]);
    for (const k of keys) if ((await redis.type(k)) === "string") haystacks.push([`redis ${k}`, (await redis.get(k)) ?? ""]);
    const tables = await db.$queryRaw<{ tablename: string }[]>`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`;
    for (const { tablename } of tables) {
      const rows = await db.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${tablename}" t`);
      haystacks.push([`table ${tablename}`, rows.map((r) => r.row).join("\n")]);
    }
    expect(captured.join("")).toContain("could not refresh its token");
    for (const [where, text] of haystacks) {
      for (const needle of needles) expect(text.includes(needle), `${where} contains a token`).toBe(false);
    }
  });
});
