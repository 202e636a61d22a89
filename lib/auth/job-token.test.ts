// withJobToken: a live job token resolves to its own job only; a job that is not running gets the one 403.
import { afterAll, describe, expect, it } from "vitest";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { withJobToken, withUnverifiedJobToken } from "./job-token";
import { randomBytes } from "node:crypto";
import { onDbQuery } from "../db/client";
import { getConfig } from "../config";
import { UNKNOWN_LANE } from "../tokens/lanes";
import { redis } from "../redis/client";

afterAll(closeLazyClients);

const INVALID = { error: { code: "invalid_token", message: "The token is missing, invalid, expired or revoked." } };
const DENIED = { error: { code: "forbidden", message: "This job may not receive credentials." } };

const echo = (opts: Parameters<typeof withJobToken>[0]) =>
  withJobToken(opts, async (_req, { job }) => Response.json({ jobId: job.jobId, owner: job.ownerUserId, delivery: job.delivery }));

async function twoJobs() {
  const { workspaceId } = await makeWorkspace();
  const m = await makeMember(workspaceId);
  return { a: await makeJob(workspaceId, m.telegramId), b: await makeJob(workspaceId, m.telegramId), ownerUserId: m.userId };
}

describe("withJobToken", () => {
  it("resolves the token's own job, and refuses it on another job's path", async () => {
    const { a, b, ownerUserId } = await twoJobs();
    const route = echo({ jobParam: "jobId", requireRunning: true });
    const own = await call(route, `/x/${a.jobId}`, { headers: bearer(a.token), params: { jobId: a.jobId } });
    expect(own).toMatchObject({ status: 200, body: { jobId: a.jobId, owner: ownerUserId, delivery: null } });
    const other = await call(route, `/x/${b.jobId}`, { headers: bearer(a.token), params: { jobId: b.jobId } });
    expect(other).toMatchObject({ status: 401, body: INVALID });
    expect(other.headers.get("www-authenticate")).toBe('Bearer realm="gatehouse"');
    const missing = await call(route, "/x", { headers: bearer(a.token) });
    expect(missing).toMatchObject({ status: 401, body: INVALID });
  });

  it("gives a job that is not running the one 403 when the route requires it, and lets it through otherwise", async () => {
    const { a } = await twoJobs();
    await db.job.updateMany({ where: { id: a.jobId }, data: { status: "completed", endedAt: new Date() } });
    const strict = await call(echo({ jobParam: null, requireRunning: true }), "/x", { headers: bearer(a.token) });
    expect(strict).toMatchObject({ status: 403, body: DENIED });
    const lenient = await call(echo({ jobParam: null, requireRunning: false }), "/x", { headers: bearer(a.token) });
    expect(lenient).toMatchObject({ status: 200, body: { jobId: a.jobId } });
  });

  it("answers the same 401 for a revoked, a random and a malformed token", async () => {
    const { a } = await twoJobs();
    await db.token.updateMany({ where: { jobId: a.jobId }, data: { revokedAt: new Date() } });
    const route = echo({ jobParam: null, requireRunning: true });
    for (const token of [a.token, `gh_job_${"A".repeat(43)}`, "gh_job_short"]) {
      expect(await call(route, "/x", { headers: bearer(token) })).toMatchObject({ status: 401, body: INVALID });
    }
  });

  it("budgets unknown tokens per client address before any query, atomically: a wave of 3× the budget lets exactly the budget through", async () => {
    const { a } = await twoJobs();
    const route = echo({ jobParam: null, requireRunning: true });
    const ip = `10.9.${randomBytes(2).join(".")}`;
    const from = (address: string, token: string) => ({ headers: { ...bearer(token), "x-forwarded-for": address } });
    const limit = getConfig().rateLimits.unknownTokenPerMinute;
    // Never straddle a minute boundary: the budget is a wall-clock window.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 5000) await new Promise((r) => setTimeout(r, left + 50));

    const wave = await Promise.all(Array.from({ length: 3 * limit }, () => call(route, "/x", from(ip, `gh_job_${randomBytes(32).toString("base64url")}`))));
    expect(wave.filter((r) => r.status === 401)).toHaveLength(limit);
    expect(wave.filter((r) => r.status === 429)).toHaveLength(2 * limit);

    let queries = 0;
    const stop = onDbQuery(() => queries++);
    try {
      const random = await Promise.all(Array.from({ length: 20 }, () => call(route, "/x", from(ip, `gh_job_${randomBytes(32).toString("base64url")}`))));
      expect(random.map((r) => r.status)).toEqual(random.map(() => 429));
      expect(random[0]).toMatchObject({ body: { error: { code: "rate_limited" } } });
      expect(Number(random[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(queries).toBe(0);
    } finally {
      stop();
    }
    // A token Gatehouse issued still reaches its workspace's lane from that address (a worker behind the same NAT),
    // and another address's unknown tokens are still answered by the database.
    expect(await call(route, "/x", from(ip, a.token))).toMatchObject({ status: 200, body: { jobId: a.jobId } });
    expect((await call(route, "/x", from(`${ip}9`, `gh_job_${randomBytes(32).toString("base64url")}`))).status).toBe(401);
  });

  it("a valid token does not count against its address, and the lane of a job token is its workspace", async () => {
    const { a } = await twoJobs();
    const job = await db.job.findUniqueOrThrow({ where: { id: a.jobId }, select: { workspaceId: true } });
    const lanes: string[] = [];
    const route = withUnverifiedJobToken(async (_req, { lane }) => {
      lanes.push(lane);
      return new Response(null, { status: 204 });
    });
    const ip = `10.8.${randomBytes(2).join(".")}`;
    const limit = getConfig().rateLimits.unknownTokenPerMinute;
    for (let i = 0; i < limit + 5; i++) {
      expect((await call(route, "/x", { headers: { ...bearer(a.token), "x-forwarded-for": ip } })).status).toBe(204);
    }
    await call(route, "/x", { headers: { ...bearer(`gh_job_${randomBytes(32).toString("base64url")}`), "x-forwarded-for": ip } });
    expect(new Set(lanes)).toEqual(new Set([job.workspaceId, UNKNOWN_LANE]));
    expect(lanes.at(-1)).toBe(UNKNOWN_LANE);
    // A token whose hint is gone (Redis flushed) still works: the hint is fairness, not access. Once the database
    // found it live, its lane is written again.
    const laneKey = `token:lane:{${(await import("../ratelimit/fixed-window")).subjectDigest(a.token)}}`;
    await redis.del(laneKey);
    const { GET } = await import("@/app/api/v1/worker/jobs/[jobId]/credentials/route");
    const served = await call(GET, `/api/v1/worker/jobs/${a.jobId}/credentials`, { headers: { ...bearer(a.token), "x-forwarded-for": ip }, params: { jobId: a.jobId } });
    expect(served.status).toBe(204);
    expect(await redis.get(laneKey)).toBe(job.workspaceId);
    const pttl = await redis.pttl(laneKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(86_400_000);
  });

  it("refuses a dead token from Redis after the database refused it once, and never marks a live one", async () => {
    const { GET } = await import("@/app/api/v1/worker/jobs/[jobId]/credentials/route");
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { K: "v" });
    const live = await makeJob(workspaceId, m.telegramId, [{ secret: "K", envVar: "K_VAR" }]);
    const other = await makeJob(workspaceId, m.telegramId);
    const revoked = await makeJob(workspaceId, m.telegramId);
    await db.token.updateMany({ where: { jobId: revoked.jobId }, data: { revokedAt: new Date() } });
    const read = (token: string, jobId: string) =>
      call(GET, `/api/v1/worker/jobs/${jobId}/credentials`, { headers: { ...bearer(token), "x-forwarded-for": `10.7.${randomBytes(2).join(".")}` }, params: { jobId } });

    const first = await read(revoked.token, revoked.jobId);
    expect(first).toMatchObject({ status: 401, body: INVALID });
    let queries = 0;
    const stop = onDbQuery(() => queries++);
    try {
      const again = await read(revoked.token, revoked.jobId);
      expect(again).toMatchObject({ status: 401, body: INVALID });
      expect(again.headers.get("www-authenticate")).toBe(first.headers.get("www-authenticate"));
      expect(queries).toBe(0);
    } finally {
      stop();
    }
    // An unknown token is refused by the database each time and leaves no key behind (no key per random token).
    const random = `gh_job_${randomBytes(32).toString("base64url")}`;
    expect(await read(random, live.jobId)).toMatchObject({ status: 401, body: INVALID });
    const { subjectDigest } = await import("../ratelimit/fixed-window");
    expect(await redis.exists(`token:lane:{${subjectDigest(random)}}`)).toBe(0);
    // A live token on another job's path is refused, but stays live.
    expect(await read(live.token, other.jobId)).toMatchObject({ status: 401, body: INVALID });
    expect(await read(live.token, live.jobId)).toMatchObject({ status: 200, body: [{ env_var: "K_VAR", value: "v" }] });
  });

  it("a revoked job's tokens are refused from Redis from the next request on, on every path", async () => {
    const { completeJob } = await import("../jobs/lifecycle");
    const { GET } = await import("@/app/api/v1/worker/jobs/[jobId]/credentials/route");
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    await completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId });
    let queries = 0;
    const stop = onDbQuery(() => queries++);
    try {
      const headers = { ...bearer(job.token), "x-forwarded-for": `10.5.${randomBytes(2).join(".")}` };
      expect(await call(GET, `/x/${job.jobId}/credentials`, { headers, params: { jobId: job.jobId } })).toMatchObject({ status: 401, body: INVALID });
      expect(await call(echo({ jobParam: null, requireRunning: false }), "/x", { headers })).toMatchObject({ status: 401, body: INVALID });
      expect(queries).toBe(0);
    } finally {
      stop();
    }
  });

  it("writes every live token's lane again when Redis lost them, and never over a dead mark", async () => {
    const { rebuildLanesIfLost, markRevokedTokensDead } = await import("../tokens/lanes");
    const { subjectDigest } = await import("../ratelimit/fixed-window");
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const live = await makeJob(workspaceId, m.telegramId);
    const revoked = await makeJob(workspaceId, m.telegramId);
    await db.token.updateMany({ where: { jobId: revoked.jobId }, data: { revokedAt: new Date() } });
    await markRevokedTokensDead({ jobId: revoked.jobId });
    const key = (t: string) => `token:lane:{${subjectDigest(t)}}`;
    for (const k of [key(live.token), key(live.serviceToken), "token:lane-epoch"]) await redis.del(k);
    const r = await rebuildLanesIfLost();
    expect(r.rebuilt).toBe(true);
    expect(await redis.get(key(live.token))).toBe(workspaceId);
    expect(await redis.get(key(live.serviceToken))).toBe(workspaceId);
    expect(await redis.get(key(revoked.token))).toBe("dead");
    expect(await rebuildLanesIfLost()).toEqual({ rebuilt: false, tokens: 0 }); // the epoch is back
  });
});
