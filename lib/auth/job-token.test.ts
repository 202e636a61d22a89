// withJobToken: a live job token resolves to its own job only; a job that is not running gets the one 403.
import { afterAll, describe, expect, it } from "vitest";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { withJobToken } from "./job-token";

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
});
