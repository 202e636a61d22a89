// A job's end as its owner and the orchestrator see it, and the portal's reads of running jobs.
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { serveCredentials } from "./credentials-serve";
import { ACTIVITY_JOBS, completeJob, countRunningJobs, getJob, listJobIdsOfOwner, listSecretGrants, revokeJobAccess } from "./lifecycle";

afterAll(closeLazyClients);

const auditActions = async (workspaceId: string, jobId: string) =>
  (await db.auditEvent.findMany({ where: { workspaceId, target: `job:${jobId}` }, orderBy: { seq: "asc" }, select: { action: true } })).map((e) => e.action);

describe("a job its owner revoked", () => {
  it("is 'revoked', stays revoked when the orchestrator completes it, and is audited once", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);

    const revoked = await revokeJobAccess({ workspaceId, userId: m.userId, jobId: job.jobId });
    expect(revoked).toMatchObject({ jobId: job.jobId, status: "revoked", endedAt: expect.any(String) });
    expect(await getJob({ workspaceId, jobId: job.jobId })).toEqual(revoked);
    // The orchestrator's complete is idempotent: the same job, still revoked, nothing new recorded.
    expect(await completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId })).toEqual(revoked);
    expect(await revokeJobAccess({ workspaceId, userId: m.userId, jobId: job.jobId })).toEqual(revoked);
    expect(await auditActions(workspaceId, job.jobId)).toEqual(["job.created", "job.revoked"]);
    await expect(serveCredentials({ token: job.token, jobId: job.jobId })).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("a job the orchestrator completed stays 'completed' when its owner revokes it afterwards", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    const completed = await completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId });
    expect(completed.status).toBe("completed");
    expect(await revokeJobAccess({ workspaceId, userId: m.userId, jobId: job.jobId })).toEqual(completed);
    expect(await auditActions(workspaceId, job.jobId)).toEqual(["job.created", "job.completed"]);
  });
});

describe("the portal's reads of running jobs", () => {
  it("counts a job once per secret however many env vars it maps the secret to", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { SHARED: "s", OTHER: "o" });
    const twice = await makeJob(workspaceId, m.telegramId, [
      { secret: "SHARED", envVar: "FIRST" },
      { secret: "SHARED", envVar: "SECOND" },
      { secret: "OTHER", envVar: "OTHER" },
    ]);
    const once = await makeJob(workspaceId, m.telegramId, [{ secret: "SHARED", envVar: "ONLY" }]);
    const ended = await makeJob(workspaceId, m.telegramId, [{ secret: "SHARED", envVar: "GONE" }]);
    await completeJob({ workspaceId, jobId: ended.jobId, serviceTokenId: ended.serviceTokenId });

    const grants = await listSecretGrants({ workspaceId, userId: m.userId });
    expect(grants.get("SHARED")).toEqual([
      { jobId: twice.jobId, envVars: ["FIRST", "SECOND"], expiresAt: twice.expiresAt },
      { jobId: once.jobId, envVars: ["ONLY"], expiresAt: once.expiresAt },
    ]);
    expect(grants.get("OTHER")).toEqual([{ jobId: twice.jobId, envVars: ["OTHER"], expiresAt: twice.expiresAt }]);
    expect(await countRunningJobs({ workspaceId, userId: m.userId })).toBe(2);
    expect(new Set(await listJobIdsOfOwner({ workspaceId, userId: m.userId }))).toEqual(new Set([twice.jobId, once.jobId, ended.jobId]));
  });

  it("never counts or lists another member's jobs, nor the member's jobs of another workspace", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const alice = await makeMember(a.workspaceId, { KEY: "a" });
    const bob = await makeMember(a.workspaceId, { KEY: "b" });
    await makeJob(a.workspaceId, bob.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    // The same person in workspace B, with a job there.
    const { addMember } = await import("@/lib/members/membership");
    const { putSecret } = await import("@/lib/secrets/store");
    const aliceInB = await addMember({ workspaceId: b.workspaceId, identity: { platform: "telegram", externalId: alice.telegramId }, actor: { type: "system" } });
    await putSecret({ workspaceId: b.workspaceId, userId: aliceInB.userId, name: "KEY", value: "x", actor: { type: "system" } });
    await makeJob(b.workspaceId, alice.telegramId, [{ secret: "KEY", envVar: "KEY" }]);

    const mine = { workspaceId: a.workspaceId, userId: alice.userId };
    expect(await listSecretGrants(mine)).toEqual(new Map());
    expect(await countRunningJobs(mine)).toBe(0);
    expect(await listJobIdsOfOwner(mine)).toEqual([]);
  });

  it("lists at most the newest ACTIVITY_JOBS job ids of an owner, however many jobs they had", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const old = Date.now() - 86_400_000;
    await db.job.createMany({
      data: Array.from({ length: ACTIVITY_JOBS + 20 }, (_, i) => ({ workspaceId, ownerUserId: m.userId, expiresAt: new Date(old + 3600_000), createdAt: new Date(old + i * 1000) })),
    });
    const newest = await makeJob(workspaceId, m.telegramId);
    const ids = await listJobIdsOfOwner({ workspaceId, userId: m.userId });
    expect(ids).toHaveLength(ACTIVITY_JOBS);
    expect(ids[0]).toBe(newest.jobId);
  });
});
