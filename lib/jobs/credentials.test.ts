// The credentials path against real Postgres: what is served, every deny reason, and the audit trail.
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { closeLazyClients } from "@/lib/lazy";
import { deleteSecret, putSecret } from "@/lib/secrets/store";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { CREDENTIALS_DENIED_MESSAGE, serveCredentials } from "./credentials-serve";
import { completeJob } from "./lifecycle";

afterAll(closeLazyClients);

async function outcome(p: Promise<unknown>) {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, status: err.status, code: err.code, message: err.message };
    throw err;
  }
}

const DENIED = { ok: false, status: 403, code: "forbidden", message: CREDENTIALS_DENIED_MESSAGE };
const UNAUTHENTICATED = { ok: false, status: 401, code: "invalid_token" };

async function lastAudit(workspaceId: string) {
  return db.auditEvent.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { action: true, data: true, actorType: true, actorId: true } });
}

describe("serveCredentials", () => {
  it("serves exactly the granted secrets under their env vars and audits names only", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { OPENAI: "sk-live-1", GITHUB: "ghp-2", UNGRANTED: "nope" });
    const job = await makeJob(workspaceId, m.telegramId, [
      { secret: "OPENAI", envVar: "OPENAI_API_KEY" },
      { secret: "GITHUB", envVar: "GH_TOKEN" },
    ]);
    const creds = await serveCredentials({ token: job.token, jobId: job.jobId });
    expect(creds).toEqual([
      { env_var: "GH_TOKEN", value: "ghp-2" },
      { env_var: "OPENAI_API_KEY", value: "sk-live-1" },
    ]);
    const audit = await lastAudit(workspaceId);
    expect(audit).toMatchObject({ action: "credentials.served", actorType: "job", actorId: job.jobId });
    expect(JSON.stringify(audit)).not.toContain("sk-live-1");
    expect(audit?.data).toMatchObject({ secrets: ["GITHUB", "OPENAI"] });
  });

  it("serves nothing for a job without grants", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    expect(await serveCredentials({ token: job.token, jobId: job.jobId })).toEqual([]);
  });

  it("gives the same 403 for every deny reason and audits the reason", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const cases: [string, (ctx: { userId: string; jobId: string }) => Promise<unknown>][] = [
      // The removal flow also revokes the owner's jobs (then the token is simply dead, 401); a membership gone any other
      // way (a cascade, a direct change) is still caught here.
      ["membership_gone", ({ userId }) => db.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } } })],
      ["secret_deleted", ({ userId }) => deleteSecret({ workspaceId, userId, name: "KEY", actor: { type: "user", id: userId } })],
      ["job_not_running", ({ jobId }) => db.job.update({ where: { id: jobId }, data: { status: "completed" } })],
      ["job_expired", ({ jobId }) => db.job.update({ where: { id: jobId }, data: { expiresAt: new Date(Date.now() - 1000) } })],
    ];
    for (const [reason, breakIt] of cases) {
      const m = await makeMember(workspaceId, { KEY: "v" });
      const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
      await breakIt({ userId: m.userId, jobId: job.jobId });
      expect(await outcome(serveCredentials({ token: job.token, jobId: job.jobId })), reason).toEqual(DENIED);
      expect(await lastAudit(workspaceId)).toMatchObject({ action: "credentials.denied", data: { reason } });
    }
    expect(ownerUserId).toBeTruthy();
  });

  it("denies a ciphertext moved to another user's row instead of decrypting it", async () => {
    const { workspaceId } = await makeWorkspace();
    const alice = await makeMember(workspaceId, { KEY: "alice-secret" });
    const bob = await makeMember(workspaceId, { KEY: "bob-secret" });
    const job = await makeJob(workspaceId, bob.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const stolen = await db.secret.findFirstOrThrow({ where: { workspaceId, userId: alice.userId, name: "KEY" }, select: { ciphertext: true, keyId: true } });
    await db.secret.updateMany({ where: { workspaceId, userId: bob.userId, name: "KEY" }, data: { ciphertext: stolen.ciphertext } });
    expect(await outcome(serveCredentials({ token: job.token, jobId: job.jobId }))).toEqual(DENIED);
    expect(await lastAudit(workspaceId)).toMatchObject({ action: "credentials.denied", data: { reason: "decrypt_failed" } });
  });

  it("is 401 for a token of another job, an unknown token, a malformed job id and after completion", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const a = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const b = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    expect(await outcome(serveCredentials({ token: a.token, jobId: b.jobId }))).toMatchObject(UNAUTHENTICATED);
    expect(await outcome(serveCredentials({ token: `gh_job_${"A".repeat(43)}`, jobId: a.jobId }))).toMatchObject(UNAUTHENTICATED);
    expect(await outcome(serveCredentials({ token: a.token, jobId: "not-a-uuid" }))).toMatchObject(UNAUTHENTICATED);
    await completeJob({ workspaceId, jobId: a.jobId, serviceTokenId: a.serviceTokenId });
    expect(await outcome(serveCredentials({ token: a.token, jobId: a.jobId }))).toMatchObject(UNAUTHENTICATED);
  });

  it("serves the replaced value, never a value of the same name set after deletion", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v1" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    await putSecret({ workspaceId, userId: m.userId, name: "KEY", value: "v2", actor: { type: "user", id: m.userId } });
    expect(await serveCredentials({ token: job.token, jobId: job.jobId })).toEqual([{ env_var: "KEY", value: "v2" }]);
    await deleteSecret({ workspaceId, userId: m.userId, name: "KEY", actor: { type: "user", id: m.userId } });
    await putSecret({ workspaceId, userId: m.userId, name: "KEY", value: "v3", actor: { type: "user", id: m.userId } });
    expect(await outcome(serveCredentials({ token: job.token, jobId: job.jobId }))).toEqual(DENIED);
  });

  it("serves nothing when the audit record cannot be written", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "audited-only" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const fn = `fail_audit_${workspaceId.replace(/-/g, "")}`;
    await db.$executeRawUnsafe(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$`);
    await db.$executeRawUnsafe(
      `CREATE TRIGGER ${fn} BEFORE INSERT ON audit_events FOR EACH ROW WHEN (NEW.workspace_id = '${workspaceId}' AND NEW.action LIKE 'credentials.%') EXECUTE FUNCTION ${fn}()`,
    );
    try {
      await expect(serveCredentials({ token: job.token, jobId: job.jobId })).rejects.toThrow();
    } finally {
      await db.$executeRawUnsafe(`DROP TRIGGER ${fn} ON audit_events`);
      await db.$executeRawUnsafe(`DROP FUNCTION ${fn}()`);
    }
    expect(await serveCredentials({ token: job.token, jobId: job.jobId })).toEqual([{ env_var: "KEY", value: "audited-only" }]);
  });
});
