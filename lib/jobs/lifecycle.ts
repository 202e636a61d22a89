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
import type { JobStatus } from "./status";

export type JobView = {
  jobId: string;
  status: JobStatus;
  ownerUserId: string;
  createdAt: string;
  expiresAt: string;
  endedAt: string | null;
  delivery: { platform: string; chatId: string; threadId: string | null } | null;
  grants: JobGrantView[];
};

/** A grant as the orchestrator wrote it: a secret by name, a connection by provider id, an MCP server by URL. */
export type JobGrantView = { secret: string; envVar: string } | { connection: string; envVar: string } | { mcp: string; envVar: string };

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
  connectionGrants: { select: { kind: true, ref: true, envVar: true }, orderBy: { envVar: "asc" } },
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
  connectionGrants: { kind: string; ref: string; envVar: string }[];
};

function grantViews(job: Pick<JobRow, "grants" | "connectionGrants">): JobGrantView[] {
  const views: JobGrantView[] = [
    ...job.grants.map((g) => ({ secret: g.secretName, envVar: g.envVar })),
    ...job.connectionGrants.map((g) => (g.kind === "mcp" ? { mcp: g.ref, envVar: g.envVar } : { connection: g.ref, envVar: g.envVar })),
  ];
  // envVar is unique across all kinds of a job's grants, so this order is total.
  return views.sort((a, b) => (a.envVar < b.envVar ? -1 : a.envVar > b.envVar ? 1 : 0));
}

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
    grants: grantViews(job),
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

/** A job's status now, read-only (an expiry that has passed reads as expired); null when there is no such job. */
export async function getJobStatus({ workspaceId, jobId }: { workspaceId: string; jobId: string }): Promise<JobStatus | null> {
  const job = await db.job.findFirst({ where: { id: jobId, workspaceId }, select: { status: true, expiresAt: true } });
  if (!job) return null;
  return job.status === "running" && job.expiresAt <= new Date() ? "expired" : job.status;
}

// The orchestrator's "complete" is a normal finish; the owner's "revoke" must stay distinguishable from it.
const ENDED_BY = { "job.completed": "completed", "job.revoked": "revoked" } as const satisfies Record<string, JobStatus>;

/** Idempotent; only the first call is audited. A job that already ended keeps the status it ended with. */
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
  action: keyof typeof ENDED_BY;
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
    const status = ENDED_BY[action];
    await tx.job.updateMany({ where: { id: jobId, workspaceId, status: "running" }, data: { status, endedAt: now } });
    await appendAuditEvent({ workspaceId, actor, action, target: `job:${jobId}`, ip, data: { tokensRevoked: revoked } }, tx);
    return view({ ...job, status, endedAt: now });
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

/** An admin (or the removal of the owner's membership) ending any running job of the workspace. */
export function revokeJob(args: { workspaceId: string; jobId: string; actor: AuditActor; ip?: string | null }) {
  return endJob({ ...args, action: "job.revoked" });
}

/**
 * Every running job of an owner whose membership is gone ends at once (status `revoked`). Their tokens stay as they
 * are, so a worker still asking gets the one credentials 403 of SPEC §6 ("membership gone"), like every other path
 * that refuses a job that is not running; nothing a job token reaches serves a job that is not running.
 */
export async function endJobsOfRemovedOwner({ workspaceId, userId, actor, ip }: { workspaceId: string; userId: string; actor: AuditActor; ip?: string | null }): Promise<number> {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const ended = await tx.$queryRaw<{ id: string }[]>`
      UPDATE jobs SET status = 'revoked', ended_at = ${now}
      WHERE workspace_id = ${workspaceId}::uuid AND owner_user_id = ${userId}::uuid AND status = 'running' AND expires_at > ${now}
      RETURNING id::text AS id`;
    for (const { id } of ended) {
      await appendAuditEvent({ workspaceId, actor, action: "job.revoked", target: `job:${id}`, ip, data: { reason: "membership_removed" } }, tx);
    }
    return ended.length;
  });
}

export type RunningJob = { jobId: string; ownerUserId: string; createdAt: Date; expiresAt: Date; delivery: string | null; grants: { kind: "secret" | "connection" | "mcp"; name: string; envVar: string }[] };

/** The workspace's running jobs for its admins: owner, what each was granted (names only), expiry; newest first. */
export async function listRunningJobs({ workspaceId, limit = 200 }: { workspaceId: string; limit?: number }): Promise<RunningJob[]> {
  const jobs = await db.job.findMany({
    where: { workspaceId, status: "running", expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    take: limit,
    select: {
      id: true,
      ownerUserId: true,
      createdAt: true,
      expiresAt: true,
      deliveryPlatform: true,
      grants: { select: { secretName: true, envVar: true }, orderBy: { envVar: "asc" } },
      connectionGrants: { select: { kind: true, ref: true, envVar: true }, orderBy: { envVar: "asc" } },
    },
  });
  return jobs.map((j) => ({
    jobId: j.id,
    ownerUserId: j.ownerUserId,
    createdAt: j.createdAt,
    expiresAt: j.expiresAt,
    delivery: j.deliveryPlatform,
    grants: [
      ...j.grants.map((g) => ({ kind: "secret" as const, name: g.secretName, envVar: g.envVar })),
      ...j.connectionGrants.map((g) => ({ kind: g.kind === "mcp" ? ("mcp" as const) : ("connection" as const), name: g.ref, envVar: g.envVar })),
    ].sort((a, b) => (a.envVar < b.envVar ? -1 : 1)),
  }));
}

export type ActiveJob = {
  jobId: string;
  createdAt: Date;
  expiresAt: Date;
  delivery: string | null;
  grants: { secret: string; envVar: string; available: boolean }[];
  /** Granted connections: `deleted` once disconnected, `needs_reconnect` while the provider refuses it. */
  connections: { kind: "connection" | "mcp"; ref: string; envVar: string; state: "active" | "needs_reconnect" | "deleted" }[];
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
      connectionGrants: { select: { kind: true, ref: true, envVar: true, connection: { select: { status: true } } }, orderBy: { envVar: "asc" } },
    },
  });
  return jobs.map((j) => ({
    jobId: j.id,
    createdAt: j.createdAt,
    expiresAt: j.expiresAt,
    delivery: j.deliveryPlatform,
    grants: j.grants.map((g) => ({ secret: g.secretName, envVar: g.envVar, available: g.secretId !== null })),
    connections: j.connectionGrants.map((g) => ({
      kind: g.kind === "mcp" ? ("mcp" as const) : ("connection" as const),
      ref: g.ref,
      envVar: g.envVar,
      state: !g.connection ? ("deleted" as const) : g.connection.status === "active" ? ("active" as const) : ("needs_reconnect" as const),
    })),
  }));
}

/** A running job that holds one of the owner's secrets, under every env var it was granted that secret as. */
export type SecretHolder = { jobId: string; envVars: string[]; expiresAt: Date };

/** By secret name: each running job at most once, however many env vars it maps the secret to. */
export async function listSecretGrants({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<Map<string, SecretHolder[]>> {
  const jobs = await db.job.findMany({
    where: { workspaceId, ownerUserId: userId, status: "running", expiresAt: { gt: new Date() } },
    select: { id: true, expiresAt: true, grants: { where: { secretId: { not: null } }, select: { envVar: true, secretName: true }, orderBy: { envVar: "asc" } } },
    orderBy: { createdAt: "asc" },
    take: 500,
  });
  const bySecret = new Map<string, SecretHolder[]>();
  for (const job of jobs) {
    const mine = new Map<string, SecretHolder>();
    for (const g of job.grants) {
      const holder = mine.get(g.secretName) ?? { jobId: job.id, envVars: [], expiresAt: job.expiresAt };
      holder.envVars.push(g.envVar);
      mine.set(g.secretName, holder);
    }
    for (const [name, holder] of mine) bySecret.set(name, [...(bySecret.get(name) ?? []), holder]);
  }
  return bySecret;
}

/** How many of the owner's jobs are running now (not ended, not past their expiry). */
export function countRunningJobs({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<number> {
  return db.job.count({ where: { workspaceId, ownerUserId: userId, status: "running", expiresAt: { gt: new Date() } } });
}

/** Every job the user owns in this workspace, ended or not, newest first: what their activity is about. */
/** The newest ACTIVITY_JOBS jobs: the Activity page's query stays bounded however many jobs a user ever had. */
export const ACTIVITY_JOBS = 500;

export async function listJobIdsOfOwner({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<string[]> {
  const jobs = await db.job.findMany({ where: { workspaceId, ownerUserId: userId }, select: { id: true }, orderBy: { createdAt: "desc" }, take: ACTIVITY_JOBS });
  return jobs.map((j) => j.id);
}
