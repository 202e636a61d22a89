// A job's life after creation (SPEC §6). Ending a job revokes every token of it, so its grants can no longer be read.
import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db, type Tx } from "../db/client";
import { lockJob } from "../db/locks";
import { AppError } from "../errors";
import { markRevokedTokensDead } from "../tokens/lanes";
import { lockLiveServiceToken, revokeJobTokens } from "../tokens/registry";
import { isJobId } from "./ids";

export type JobView = {
  jobId: string;
  status: "running" | "completed" | "expired";
  ownerUserId: string;
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
  delivery: { platform: string; chatId: string; threadId: string | null } | null;
  grants: { secret: string; envVar: string }[];
};

const JOB_SELECT = {
  id: true,
  workspaceId: true,
  ownerUserId: true,
  status: true,
  createdAt: true,
  expiresAt: true,
  endedAt: true,
  deliveryPlatform: true,
  deliveryChatId: true,
  deliveryThreadId: true,
  grants: { select: { secretName: true, envVar: true }, orderBy: { envVar: "asc" } },
} as const;

type JobRow = {
  id: string;
  ownerUserId: string;
  status: JobView["status"];
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  deliveryPlatform: string | null;
  deliveryChatId: string | null;
  deliveryThreadId: string | null;
  grants: { secretName: string; envVar: string }[];
};

function view(job: JobRow): JobView {
  return {
    jobId: job.id,
    status: job.status,
    ownerUserId: job.ownerUserId,
    createdAt: job.createdAt.toISOString(),
    expiresAt: job.expiresAt.toISOString(),
    endedAt: job.endedAt?.toISOString() ?? null,
    delivery: job.deliveryPlatform
      ? { platform: job.deliveryPlatform, chatId: job.deliveryChatId ?? "", threadId: job.deliveryThreadId }
      : null,
    grants: job.grants.map((g) => ({ secret: g.secretName, envVar: g.envVar })),
  };
}

async function settleExpiry(tx: Tx, job: JobRow & { workspaceId: string }, now: Date): Promise<JobRow> {
  if (job.status !== "running" || job.expiresAt > now) return job;
  const { count } = await tx.job.updateMany({
    where: { id: job.id, workspaceId: job.workspaceId, status: "running" },
    data: { status: "expired", endedAt: job.expiresAt },
  });
  if (count === 1) {
    await appendAuditEvent({ workspaceId: job.workspaceId, actor: { type: "system" }, action: "job.expired", target: `job:${job.id}` }, tx);
  }
  return { ...job, status: "expired", endedAt: job.endedAt ?? job.expiresAt };
}

/** Another workspace's, malformed or unknown: the same 404. */
export async function getJob({ workspaceId, jobId }: { workspaceId: string; jobId: string }): Promise<JobView> {
  if (!isJobId(jobId)) throw new AppError("not_found", "No such job.");
  return db.$transaction(async (tx) => {
    const job = await tx.job.findFirst({ where: { id: jobId, workspaceId }, select: JOB_SELECT });
    if (!job) throw new AppError("not_found", "No such job.");
    return view(await settleExpiry(tx, job, new Date()));
  });
}

/** Idempotent; only the first call is audited. */
async function endJob({
  workspaceId,
  jobId,
  ownerUserId,
  serviceTokenId,
  action,
  actor,
  ip,
}: {
  workspaceId: string;
  jobId: string;
  ownerUserId?: string;
  serviceTokenId?: string;
  action: "job.completed" | "job.revoked";
  actor: AuditActor;
  ip?: string | null;
}): Promise<JobView> {
  if (!isJobId(jobId)) throw new AppError("not_found", "No such job.");
  const ended = await db.$transaction(async (tx) => {
    if (serviceTokenId) await lockLiveServiceToken(tx, serviceTokenId);
    // The job row lock serialises this with token rotation, so no token minted meanwhile escapes revocation.
    if (!(await lockJob(tx, { workspaceId, jobId, mode: "exclusive" }))) throw new AppError("not_found", "No such job.");
    const now = new Date();
    const found = await tx.job.findFirst({ where: { id: jobId, workspaceId, ...(ownerUserId ? { ownerUserId } : {}) }, select: JOB_SELECT });
    if (!found) throw new AppError("not_found", "No such job.");
    const revoked = await revokeJobTokens(tx, { workspaceId, jobId, now });
    const job = await settleExpiry(tx, found, now);
    if (job.status !== "running") return view(job);
    await tx.job.updateMany({ where: { id: jobId, workspaceId, status: "running" }, data: { status: "completed", endedAt: now } });
    await appendAuditEvent({ workspaceId, actor, action, target: `job:${jobId}`, ip, data: { tokensRevoked: revoked } }, tx);
    return view({ ...job, status: "completed", endedAt: now });
  });
  await markRevokedTokensDead({ jobId });
  return ended;
}

export function completeJob(args: { workspaceId: string; jobId: string; serviceTokenId: string; ip?: string | null }) {
  return endJob({ ...args, action: "job.completed", actor: { type: "service", id: args.serviceTokenId } });
}

export function revokeJobAccess(args: { workspaceId: string; userId: string; jobId: string; ip?: string | null }) {
  return endJob({ ...args, ownerUserId: args.userId, action: "job.revoked", actor: { type: "user", id: args.userId } });
}

export type ActiveJob = {
  jobId: string;
  createdAt: Date;
  expiresAt: Date;
  delivery: string | null;
  grants: { secret: string; envVar: string; available: boolean }[];
};

export async function listActiveJobs({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<ActiveJob[]> {
  const jobs = await db.job.findMany({
    where: { workspaceId, ownerUserId: userId, status: "running", expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: {
      id: true,
      createdAt: true,
      expiresAt: true,
      deliveryPlatform: true,
      grants: { select: { secretName: true, envVar: true, secretId: true }, orderBy: { envVar: "asc" } },
    },
  });
  return jobs.map((j) => ({
    jobId: j.id,
    createdAt: j.createdAt,
    expiresAt: j.expiresAt,
    delivery: j.deliveryPlatform,
    grants: j.grants.map((g) => ({ secret: g.secretName, envVar: g.envVar, available: g.secretId !== null })),
  }));
}

export async function listSecretGrants({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<Map<string, { jobId: string; envVar: string; expiresAt: Date }[]>> {
  const jobs = await db.job.findMany({
    where: { workspaceId, ownerUserId: userId, status: "running", expiresAt: { gt: new Date() } },
    select: { id: true, expiresAt: true, grants: { where: { secretId: { not: null } }, select: { envVar: true, secretName: true } } },
    orderBy: { createdAt: "asc" },
    take: 500,
  });
  const bySecret = new Map<string, { jobId: string; envVar: string; expiresAt: Date }[]>();
  for (const job of jobs) {
    for (const g of job.grants) {
      const list = bySecret.get(g.secretName) ?? [];
      list.push({ jobId: job.id, envVar: g.envVar, expiresAt: job.expiresAt });
      bySecret.set(g.secretName, list);
    }
  }
  return bySecret;
}
