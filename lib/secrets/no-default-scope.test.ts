// SPEC §6 "No default scope": no code path resolves a secret, owner or workspace by fallback. Two guards:
// every SQL statement that touches secrets names both workspace and owner (jobs: the workspace), checked on
// the real statements of full flows; and the behaviours a fallback would produce are refused.
import { afterAll, describe, expect, it } from "vitest";
import { db, onDbQuery } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { serveCredentials } from "@/lib/jobs/credentials-serve";
import { createJob } from "@/lib/jobs/create";
import { completeJob, getJob, listActiveJobs, listSecretGrants, revokeJobAccess } from "@/lib/jobs/lifecycle";
import { closeLazyClients } from "@/lib/lazy";
import { issueServiceToken } from "@/lib/tokens/registry";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { deleteSecret, listSecrets, putSecret } from "./store";

afterAll(closeLazyClients);

async function errorCode(p: Promise<unknown>) {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, details: err.details };
    throw err;
  }
}

const mentions = (sql: string, table: string) => new RegExp(`(FROM|JOIN|UPDATE|INTO)\\s+("public"\\.)?"?${table}"?\\b`, "i").test(sql);

describe("no default scope", () => {
  it("never touches secrets without workspace and owner, nor jobs without workspace, in any flow", async () => {
    const statements: string[] = [];
    const stop = onDbQuery((sql) => statements.push(sql));
    try {
      const { workspaceId, ownerUserId } = await makeWorkspace();
      const m = await makeMember(workspaceId, { KEY: "v1" });
      const owner = { workspaceId, userId: m.userId };
      await putSecret({ ...owner, name: "KEY", value: "v2", actor: { type: "user", id: m.userId } });
      await listSecrets(owner);
      const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
      await serveCredentials({ token: job.token, jobId: job.jobId });
      await listSecretGrants(owner);
      await listActiveJobs(owner);
      await getJob({ workspaceId, jobId: job.jobId });
      await errorCode(revokeJobAccess({ workspaceId, userId: ownerUserId, jobId: job.jobId }));
      await completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId });
      await deleteSecret({ ...owner, name: "KEY", actor: { type: "user", id: m.userId } });
      await new Promise((r) => setTimeout(r, 200)); // fire-and-forget lastUsedAt writes
    } finally {
      stop();
    }
    const onSecrets = statements.filter((s) => mentions(s, "secrets"));
    const onJobs = statements.filter((s) => mentions(s, "jobs"));
    expect(onSecrets.length).toBeGreaterThan(5);
    expect(onJobs.length).toBeGreaterThan(5);
    for (const sql of onSecrets) expect(/workspace_id/.test(sql) && /user_id/.test(sql), sql).toBe(true);
    for (const sql of onJobs) expect(/workspace_id/.test(sql), sql).toBe(true);
  });

  it("does not fall back to another user's, the owner's or another workspace's secret of the same name", async () => {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const other = await makeWorkspace();
    const { userId: ownerUserId } = { userId: (await db.membership.findFirstOrThrow({ where: { workspaceId, role: "owner" } })).userId };
    await putSecret({ workspaceId, userId: ownerUserId, name: "SHARED", value: "owner-value", actor: { type: "system" } });
    const otherMember = await makeMember(other.workspaceId, { SHARED: "other-workspace-value" });
    const bob = await makeMember(workspaceId, { SHARED: "bob-value" });
    const carol = await makeMember(workspaceId); // has no secrets at all
    const service = await issueServiceToken({ workspaceId, actor: { type: "system" } });
    const create = (telegramId: string) =>
      createJob({ workspaceId, serviceTokenId: service.tokenId, user: { platform: "telegram", externalId: telegramId }, grants: [{ secret: "SHARED", envVar: "SHARED" }] });

    expect(await errorCode(create(carol.telegramId))).toMatchObject({ code: "invalid_grants", details: { missing_secrets: ["SHARED"] } });
    // A member of another workspace is not a member here, even with a secret of that name there.
    expect(await errorCode(create(otherMember.telegramId))).toMatchObject({ code: "not_a_member" });
    // An unknown identity never becomes a "default" user.
    expect(await errorCode(create("999999999999"))).toMatchObject({ code: "not_a_member" });

    // Bob's job reads Bob's value; once Bob deletes it, the job is denied rather than given someone else's.
    const job = await create(bob.telegramId);
    if (job === undefined || typeof job !== "object" || !("token" in job)) throw new Error("job not created");
    expect(await serveCredentials({ token: job.token, jobId: job.jobId })).toEqual([{ env_var: "SHARED", value: "bob-value" }]);
    await deleteSecret({ workspaceId, userId: bob.userId, name: "SHARED", actor: { type: "user", id: bob.userId } });
    expect(await errorCode(serveCredentials({ token: job.token, jobId: job.jobId }))).toMatchObject({ code: "forbidden" });
    expect(ownerTelegramId).toBeTruthy();
  });
});
