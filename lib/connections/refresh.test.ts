// Single-flight refresh (SPEC §12, §11 "exactly one upstream refresh per connection however many workers read it at
// once, on any number of instances"), against a real oidc-provider with refresh token rotation and replay
// detection: 50 concurrent credentials reads split over this process (through the route) and a child process (the
// same serve function, the same PostgreSQL and Redis), counted at the authorization server.
import { scanKeys } from "@/test/redis-scan";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { redis } from "@/lib/redis/client";
import * as credentialsRoute from "@/app/api/v1/worker/jobs/[jobId]/credentials/route";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { connectTestProvider, outboundAllowEnv, startTestAS, type TestAS } from "@/test/fixtures/connection";
import type { ReaderResult } from "@/test/fixtures/credentials-reader";
import { bearer, call } from "@/test/http/routes";
import { runScript } from "@/test/run-script";
import { readConnectionById } from "./store";

let as: TestAS;
beforeAll(async () => {
  as = await startTestAS();
});
afterAll(async () => {
  await as?.stop();
  await closeLazyClients();
});

const PARENT = 25;
const CHILD = 25;

async function setUp() {
  const { workspaceId } = await makeWorkspace();
  const m = await makeMember(workspaceId);
  const conn = await connectTestProvider({ as, workspaceId, userId: m.userId });
  const job = await makeJob(workspaceId, m.telegramId, [{ connection: "corp", envVar: "CORP_TOKEN" }]);
  return { workspaceId, userId: m.userId, ...conn, job };
}

/** Makes the stored access token due (its real one stays valid at the AS): an hour old, expiring in 30 s. */
async function makeDue(connectionId: string) {
  await db.$executeRaw`UPDATE connections SET obtained_at = now() - interval '1 hour', access_expires_at = now() + interval '30 seconds' WHERE id = ${connectionId}::uuid`;
}

function routeRead(token: string, jobId: string): Promise<ReaderResult & { text: string }> {
  return call(credentialsRoute.GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: bearer(token), params: { jobId } }).then((r) => ({
    status: r.status,
    text: r.text,
    ...(r.status === 200 ? { value: (r.body as { env_var: string; value: string }[]).map((c) => `${c.env_var}=${c.value}`).join("\n") } : {}),
  }));
}

/** PARENT reads here and CHILD in another process, all fired at the same instant. */
async function readEverywhere(token: string, jobId: string) {
  // Time for the child to start (a tsx process) even on a loaded 2-core machine.
  const at = Date.now() + 9000;
  const child = runScript("test/fixtures/credentials-reader.ts", [token, jobId, String(CHILD), String(at)], { GATEHOUSE_OUTBOUND_ALLOW: outboundAllowEnv(), LOG_LEVEL: "silent" });
  await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  const here = await Promise.all(Array.from({ length: PARENT }, () => routeRead(token, jobId)));
  const run = await child;
  expect(run.code, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { lateMs: number; results: ReaderResult[] };
  // The child really read at the same time as we did (else this would not test two instances racing).
  expect(out.lateMs).toBeLessThan(1000);
  return { here, there: out.results, all: [...here.map(({ status, value }) => ({ status, ...(value ? { value } : {}) })), ...out.results] };
}

const count = (workspaceId: string, action: string) => db.auditEvent.count({ where: { workspaceId, action } });

describe("a due connection read by 50 workers on two processes", () => {
  it("is refreshed exactly once at the provider, and all 50 get the same new valid token", async () => {
    const s = await setUp();
    await makeDue(s.connectionId);
    as.reset();
    const { all } = await readEverywhere(s.job.token, s.job.jobId);

    expect(as.stats().refreshGrants).toBe(1);
    expect(all.map((r) => r.status)).toEqual(all.map(() => 200));
    const values = new Set(all.map((r) => r.value));
    expect(values.size).toBe(1);
    const token = [...values][0]!.replace(/^CORP_TOKEN=/, "");
    expect(token).not.toBe(s.tokens.accessToken);
    expect(await as.introspect(token)).toMatchObject({ active: true, sub: "alice-sub" });

    const row = await readConnectionById({ workspaceId: s.workspaceId, userId: s.userId, id: s.connectionId });
    expect(row).toMatchObject({ status: "active", version: 2 });
    expect(row!.tokens.accessToken).toBe(token);
    expect(row!.tokens.refreshToken).not.toBe(s.tokens.refreshToken);
    expect(await count(s.workspaceId, "connection.refreshed")).toBe(1);
    const refreshed = await db.auditEvent.findFirstOrThrow({ where: { workspaceId: s.workspaceId, action: "connection.refreshed" } });
    expect(refreshed.data).toMatchObject({ connectionId: s.connectionId, rotated: true });
    expect(await count(s.workspaceId, "credentials.served")).toBe(PARENT + CHILD);
    const served = await db.auditEvent.findFirstOrThrow({ where: { workspaceId: s.workspaceId, action: "credentials.served" } });
    expect(served.data).toMatchObject({ connections: ["provider:corp"], envVars: ["CORP_TOKEN"], secrets: [] });

    // No rotated-out refresh token was ever replayed: oidc-provider would have revoked the whole grant. Due again,
    // the stored (rotated) refresh token refreshes once more, and the tokens of before stay valid.
    await makeDue(s.connectionId);
    as.reset();
    const again = await routeRead(s.job.token, s.job.jobId);
    expect(again.status).toBe(200);
    expect(as.stats()).toMatchObject({ refreshGrants: 1, refreshFailures: 0 });
    const third = again.value!.replace(/^CORP_TOKEN=/, "");
    expect(third).not.toBe(token);
    expect(await as.introspect(third)).toMatchObject({ active: true });
    expect(await as.introspect(token)).toMatchObject({ active: true });
    // Not due now: served from the row without asking the provider.
    as.reset();
    expect((await routeRead(s.job.token, s.job.jobId)).value).toBe(`CORP_TOKEN=${third}`);
    expect(as.stats().refreshGrants).toBe(0);
  });

  it("on invalid_grant: one refresh at the provider, the identical 403 for all 50, needs_reconnect and the audit says why", async () => {
    const s = await setUp();
    await makeDue(s.connectionId);
    as.reset();
    as.script({ nextRefresh: "invalid_grant", times: 100 });
    const { here, all } = await readEverywhere(s.job.token, s.job.jobId);

    expect(as.stats().refreshGrants).toBe(1);
    expect(all.map((r) => r.status)).toEqual(all.map(() => 403));
    expect(new Set(here.map((r) => r.text)).size).toBe(1);
    expect(JSON.parse(here[0]!.text)).toEqual({ error: { code: "forbidden", message: "This job may not receive credentials." } });
    const row = await db.connection.findUniqueOrThrow({ where: { id: s.connectionId }, select: { status: true, statusReason: true } });
    expect(row).toEqual({ status: "needs_reconnect", statusReason: "invalid_grant" });
    const marked = await db.auditEvent.findMany({ where: { workspaceId: s.workspaceId, action: "connection.needs_reconnect" } });
    expect(marked.map((e) => e.data)).toEqual([{ connectionId: s.connectionId, reason: "invalid_grant" }]);
    const denied = await db.auditEvent.findMany({ where: { workspaceId: s.workspaceId, action: "credentials.denied" } });
    expect(denied).toHaveLength(PARENT + CHILD);
    for (const e of denied) expect(e.data).toMatchObject({ reason: "connection_needs_reconnect", connections: ["provider:corp"] });
    expect(await count(s.workspaceId, "credentials.served")).toBe(0);

    // Later reads deny at once, without asking the provider again.
    as.reset();
    expect((await routeRead(s.job.token, s.job.jobId)).status).toBe(403);
    expect(as.stats().refreshGrants).toBe(0);
  });

  it("provider down: 503 for all 50 after one attempt, never the stale token; a later read after recovery succeeds", async () => {
    const s = await setUp();
    await makeDue(s.connectionId);
    as.reset();
    as.script({ nextRefresh: "down", times: 1000 });
    const { here, all } = await readEverywhere(s.job.token, s.job.jobId);

    expect(all.map((r) => r.status)).toEqual(all.map(() => 503));
    expect(all.some((r) => r.value !== undefined)).toBe(false);
    for (const r of here) expect(r.text).not.toContain(s.tokens.accessToken);
    expect(as.stats().refreshGrants).toBe(1);
    expect(await count(s.workspaceId, "credentials.served")).toBe(0);
    expect(await db.connection.findUniqueOrThrow({ where: { id: s.connectionId }, select: { status: true, version: true } })).toEqual({ status: "active", version: 1 });

    as.script({ nextRefresh: null });
    // The shared "unavailable" outcome keeps everyone off the provider for a few seconds; then it is asked again.
    await new Promise((r) => setTimeout(r, 3200));
    const later = await routeRead(s.job.token, s.job.jobId);
    expect(later.status).toBe(200);
    expect(await as.introspect(later.value!.replace(/^CORP_TOKEN=/, ""))).toMatchObject({ active: true });
  });

  it("provider slow (past the 5 s outbound timeout): 503, and the refresh token was not rotated", async () => {
    const s = await setUp();
    await makeDue(s.connectionId);
    as.reset();
    as.script({ nextRefresh: "slow" });
    const results = await Promise.all(Array.from({ length: 5 }, () => routeRead(s.job.token, s.job.jobId)));
    expect(results.map((r) => r.status)).toEqual([503, 503, 503, 503, 503]);
    expect(as.stats().refreshGrants).toBe(1);
    await new Promise((r) => setTimeout(r, 3200));
    const later = await routeRead(s.job.token, s.job.jobId);
    expect(later.status).toBe(200);
    expect(as.stats().refreshGrants).toBe(2);
  }, 60_000);

  it("keeps tokens out of Redis: only the lease and the outcome, keyed by connection id", async () => {
    const s = await setUp();
    await makeDue(s.connectionId);
    const read = await routeRead(s.job.token, s.job.jobId);
    expect(read.status).toBe(200);
    const keys = await scanKeys(redis, `connection:refresh*{${s.connectionId}}*`);
    expect(keys.length).toBeGreaterThan(0);
    const row = await readConnectionById({ workspaceId: s.workspaceId, userId: s.userId, id: s.connectionId });
    for (const k of keys) {
      const v = (await redis.get(k)) ?? "";
      for (const needle of [s.tokens.accessToken, s.tokens.refreshToken!, row!.tokens.accessToken, row!.tokens.refreshToken!]) {
        expect(k.includes(needle) || v.includes(needle)).toBe(false);
      }
    }
  });
});
