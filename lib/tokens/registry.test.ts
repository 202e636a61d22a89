// The token registry against real Postgres: format, hashing at rest, expiry, revocation, rotation and races.
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { serveCredentials } from "@/lib/jobs/credentials-serve";
import { closeLazyClients } from "@/lib/lazy";
import { eventually } from "@/test/eventually";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { hashToken, tokenKindOf } from "./format";
import { revokeToken, rotateJobToken } from "@/lib/jobs/job-tokens";
import { createJob } from "@/lib/jobs/create";
import { completeJob } from "@/lib/jobs/lifecycle";
import { authenticateServiceToken, issueServiceToken } from "./registry";

afterAll(closeLazyClients);

const system = { type: "system", id: "test" } as const;

async function code(p: Promise<unknown>) {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

describe("token registry", () => {
  it("issues gh_svc_ tokens stored only as their SHA-256", async () => {
    const { workspaceId } = await makeWorkspace();
    const issued = await issueServiceToken({ workspaceId, name: "orchestrator", actor: system });
    expect(issued.token).toMatch(/^gh_svc_[A-Za-z0-9_-]{43}$/);
    expect(tokenKindOf(issued.token)).toBe("service");
    const row = await db.token.findUniqueOrThrow({ where: { id: issued.tokenId }, select: { hash: true, name: true, kind: true } });
    expect(Buffer.from(row.hash).equals(Buffer.from(hashToken(issued.token)))).toBe(true);
    const dump = JSON.stringify(await db.$queryRaw`SELECT * FROM tokens WHERE id = ${issued.tokenId}::uuid`);
    expect(dump).not.toContain(issued.token.slice(7));
    expect(await authenticateServiceToken(issued.token)).toEqual({ tokenId: issued.tokenId, workspaceId, expiresAt: issued.expiresAt });
  });

  it("refuses revoked, expired, unknown and job tokens with the same invalid_token", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    const revoked = await issueServiceToken({ workspaceId, actor: system });
    await revokeToken({ tokenId: revoked.tokenId, actor: system });
    await revokeToken({ tokenId: revoked.tokenId, actor: system }); // idempotent
    const expired = await issueServiceToken({ workspaceId, actor: system });
    await db.token.update({ where: { id: expired.tokenId }, data: { expiresAt: new Date(Date.now() - 1) } });
    for (const token of [revoked.token, expired.token, job.token, `gh_svc_${"x".repeat(43)}`]) {
      expect(await code(authenticateServiceToken(token))).toBe("invalid_token");
    }
    expect(await db.auditEvent.count({ where: { workspaceId, action: "token.revoked" } })).toBe(1);
  });

  it("writes lastUsedAt at most once a minute, not on every request", async () => {
    const { workspaceId } = await makeWorkspace();
    const issued = await issueServiceToken({ workspaceId, actor: system });
    await authenticateServiceToken(issued.token);
    const lastUsed = async () => (await db.token.findUniqueOrThrow({ where: { id: issued.tokenId }, select: { lastUsedAt: true } })).lastUsedAt;
    expect(await eventually(async () => (await lastUsed()) !== null)).toBe(true); // the write is fire-and-forget
    const first = await lastUsed();
    for (let i = 0; i < 5; i++) await authenticateServiceToken(issued.token);
    await new Promise((r) => setTimeout(r, 200));
    const after = (await db.token.findUniqueOrThrow({ where: { id: issued.tokenId }, select: { lastUsedAt: true } })).lastUsedAt;
    expect(after).toEqual(first);
  });

  it("rotates within the job's expiry; the old token works for the grace window only and cannot rotate again", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const before = await db.token.findFirstOrThrow({ where: { jobId: job.jobId }, select: { id: true, expiresAt: true } });
    const rotated = await rotateJobToken({ token: job.token, jobId: job.jobId });
    expect(rotated.token).toMatch(/^gh_job_/);
    expect(rotated.expiresAt).toEqual(before.expiresAt);
    expect(rotated.previousTokenValidUntil.getTime()).toBeLessThanOrEqual(Date.now() + 30_000);
    expect(await serveCredentials({ token: rotated.token, jobId: job.jobId })).toEqual([{ env_var: "KEY", value: "v" }]);
    expect(await serveCredentials({ token: job.token, jobId: job.jobId })).toEqual([{ env_var: "KEY", value: "v" }]);
    expect(await code(rotateJobToken({ token: job.token, jobId: job.jobId }))).toBe("already_rotated");
    await db.token.update({ where: { id: before.id }, data: { graceUntil: new Date(Date.now() - 1) } });
    expect(await code(serveCredentials({ token: job.token, jobId: job.jobId }))).toBe("invalid_token");
    expect(await code(rotateJobToken({ token: job.token, jobId: job.jobId }))).toBe("invalid_token");
    // The new token can itself rotate once, still never past the job's expiry.
    const again = await rotateJobToken({ token: rotated.token, jobId: job.jobId });
    expect(again.expiresAt).toEqual(before.expiresAt);
  });

  it("never lets a grace window outlive the token", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    const soon = new Date(Date.now() + 5000);
    await db.token.updateMany({ where: { jobId: job.jobId }, data: { expiresAt: soon } });
    const rotated = await rotateJobToken({ token: job.token, jobId: job.jobId });
    expect(rotated.previousTokenValidUntil.getTime()).toBeLessThanOrEqual(soon.getTime());
    expect(rotated.expiresAt).toEqual(soon);
  });

  it("lets exactly one of 20 concurrent rotations win", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    const results = await Promise.all(Array.from({ length: 20 }, () => code(rotateJobToken({ token: job.token, jobId: job.jobId }))));
    expect(results.filter((r) => r === "ok")).toHaveLength(1);
    expect(results.filter((r) => r === "already_rotated")).toHaveLength(19);
    expect(await db.token.count({ where: { jobId: job.jobId } })).toBe(2);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "token.rotated" } })).toBe(1);
  });

  it("never fails a read with the old token inside the grace window while rotation happens", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const reads = Array.from({ length: 40 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 5)).then(() => code(serveCredentials({ token: job.token, jobId: job.jobId }))),
    );
    const rotation = new Promise((r) => setTimeout(r, 60)).then(() => rotateJobToken({ token: job.token, jobId: job.jobId }));
    expect(await Promise.all(reads)).toEqual(Array(40).fill("ok"));
    const { token } = await rotation;
    expect(await code(serveCredentials({ token, jobId: job.jobId }))).toBe("ok");
  });

  it("serves nothing after a revocation returns, and every served read is recorded before the revocation", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const tokenId = (await db.token.findFirstOrThrow({ where: { jobId: job.jobId }, select: { id: true } })).id;
    let revokedAt = Infinity;
    // Keep firing reads (a few in flight at any time) until well after the revocation returned.
    const reads: Promise<{ started: number; result: string }>[] = [];
    const firing = (async () => {
      while (performance.now() < revokedAt + 150) {
        const started = performance.now();
        reads.push(code(serveCredentials({ token: job.token, jobId: job.jobId })).then((result) => ({ started, result })));
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    await new Promise((r) => setTimeout(r, 80));
    await revokeToken({ tokenId, actor: system });
    revokedAt = performance.now();
    await firing;
    const outcomes = await Promise.all(reads);
    const after = outcomes.filter((o) => o.started > revokedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((o) => o.result === "invalid_token")).toBe(true);
    expect(outcomes.some((o) => o.result === "ok")).toBe(true);
    const events = await db.auditEvent.findMany({ where: { workspaceId, action: { in: ["credentials.served", "token.revoked"] } }, orderBy: { seq: "asc" }, select: { action: true } });
    const revokeIndex = events.findIndex((e) => e.action === "token.revoked");
    expect(revokeIndex).toBe(events.length - 1);
    expect(events.filter((e) => e.action === "credentials.served")).toHaveLength(outcomes.filter((o) => o.result === "ok").length);
  });

  it("leaves no live token when a job is completed while its token rotates", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    for (let i = 0; i < 10; i++) {
      const job = await makeJob(workspaceId, m.telegramId);
      await Promise.all([
        code(rotateJobToken({ token: job.token, jobId: job.jobId })),
        completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId }),
      ]);
      expect(await db.token.count({ where: { jobId: job.jobId, revokedAt: null } })).toBe(0);
    }
  });

  it("revoking a job token by id also revokes the successor a rotation minted from it", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
    const original = await db.token.findFirstOrThrow({ where: { jobId: job.jobId }, select: { id: true } });
    const stolen = await rotateJobToken({ token: job.token, jobId: job.jobId });
    await revokeToken({ tokenId: original.id, actor: system });
    expect(await code(serveCredentials({ token: stolen.token, jobId: job.jobId }))).toBe("invalid_token");
    expect(await code(rotateJobToken({ token: stolen.token, jobId: job.jobId }))).toBe("invalid_token");
  });

  it("refuses a job creation or completion by a service token revoked while the request was under way", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const job = await makeJob(workspaceId, m.telegramId);
    await revokeToken({ tokenId: job.serviceTokenId, actor: system });
    // What the handler would do with a principal authenticated a moment before the revocation:
    expect(await code(createJob({ workspaceId, serviceTokenId: job.serviceTokenId, user: { platform: "telegram", externalId: m.telegramId } }))).toBe("invalid_token");
    expect(await code(completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId }))).toBe("invalid_token");
    expect(await db.job.count({ where: { workspaceId } })).toBe(1);
  });

  it("completes a job while both tokens of its grace window are being read, without deadlock or error", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { KEY: "v" });
    for (let i = 0; i < 5; i++) {
      const job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
      const rotated = await rotateJobToken({ token: job.token, jobId: job.jobId });
      const reads = Array.from({ length: 20 }, (_, k) => code(serveCredentials({ token: k % 2 ? job.token : rotated.token, jobId: job.jobId })));
      const completion = code(completeJob({ workspaceId, jobId: job.jobId, serviceTokenId: job.serviceTokenId }));
      const results = await Promise.all([...reads, completion]);
      expect(results.at(-1)).toBe("ok");
      expect(results.every((r) => r === "ok" || r === "invalid_token")).toBe(true);
      expect(await db.token.count({ where: { jobId: job.jobId, revokedAt: null } })).toBe(0);
    }
  });
});
