// Agent jobs (SPEC §6): created by the orchestrator for one member, with immutable grants and one token.
// The owner is recorded here, at creation, and nothing later resolves it from anything else.
import "server-only";
import { Prisma } from "@/generated/prisma/client";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db, type Tx } from "../db/client";
import { AppError } from "../errors";
import { findUserByIdentity } from "../identity/users";
import type { PlatformIdentityRef } from "../identity/platform";
import { SECRET_NAME_PATTERN } from "../secrets/names";
import { lockSecretsByName } from "../secrets/store";
import { insertJobToken, lockLiveServiceToken, revokeJobTokens } from "../tokens/registry";
import { checkGrantShapes, MAX_GRANTS, type GrantInput } from "./grants";

export type Delivery = { platform: "telegram" | "slack"; chatId: string; threadId?: string };

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isJobId(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

export async function createJob({
  workspaceId,
  serviceTokenId,
  user,
  delivery,
  grants = [],
  ttlSeconds,
  ip,
}: {
  workspaceId: string;
  serviceTokenId: string;
  user: PlatformIdentityRef;
  delivery?: Delivery;
  grants?: GrantInput[];
  ttlSeconds?: number;
  ip?: string | null;
}): Promise<{ jobId: string; token: string; expiresAt: Date }> {
  const ttl = ttlSeconds ?? getConfig().ttl.jobTokenSeconds;
  const { problems, tooMany } = checkGrantShapes(grants);
  return db.$transaction(async (tx) => {
    // A service token revoked while this request was under way must not still create a job.
    await lockLiveServiceToken(tx, serviceTokenId);
    const owner = await findUserByIdentity(tx, user);
    const membership = owner
      ? await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId: owner.id } }, select: { role: true } })
      : null;
    if (!owner || !membership) throw new AppError("not_a_member");

    const names = [...new Set(grants.map((g) => g.secret).filter((n) => SECRET_NAME_PATTERN.test(n)))];
    const secretIds = await lockSecretsByName(tx, { workspaceId, userId: owner.id, names });
    const missing = names.filter((n) => !secretIds.has(n));
    if (problems.length || tooMany || missing.length) {
      const perGrant = new Map(problems.map((p) => [p.index, p]));
      grants.forEach((g, index) => {
        if (!names.includes(g.secret) || secretIds.has(g.secret)) return;
        if (!perGrant.has(index)) perGrant.set(index, { index, ...g, reasons: [] });
        perGrant.get(index)!.reasons.push("secret_not_found");
      });
      throw new AppError("invalid_grants", tooMany ? `A job may have at most ${MAX_GRANTS} grants.` : undefined, {
        grants: [...perGrant.values()].sort((a, b) => a.index - b.index),
        missing_secrets: missing,
        ...(tooMany ? { max_grants: MAX_GRANTS } : {}),
      });
    }

    const expiresAt = new Date(Date.now() + ttl * 1000);
    const job = await tx.job.create({
      data: {
        workspaceId,
        ownerUserId: owner.id,
        expiresAt,
        deliveryPlatform: delivery?.platform ?? null,
        deliveryChatId: delivery?.chatId ?? null,
        deliveryThreadId: delivery?.threadId ?? null,
        createdByTokenId: serviceTokenId,
      },
      select: { id: true },
    });
    if (grants.length) {
      await tx.jobGrant.createMany({
        data: grants.map((g) => ({
          jobId: job.id,
          workspaceId,
          ownerUserId: owner.id,
          envVar: g.envVar,
          secretName: g.secret,
          secretId: secretIds.get(g.secret)!,
        })),
      });
    }
    const { tokenId, token } = await insertJobToken(tx, { workspaceId, jobId: job.id, expiresAt });
    await appendAuditEvent(
      {
        workspaceId,
        actor: { type: "service", id: serviceTokenId },
        action: "job.created",
        target: `job:${job.id}`,
        ip,
        data: { owner: owner.id, grants: grants.map((g) => ({ secret: g.secret, envVar: g.envVar })), expiresAt, tokenId },
      },
      tx,
    );
    return { jobId: job.id, token, expiresAt };
  });
}

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

/** Row-locks a job of this workspace (NO KEY UPDATE, so inserts referencing the job never deadlock on it). */
export async function lockJob(tx: Tx, { workspaceId, jobId, mode }: { workspaceId: string; jobId: string; mode: "exclusive" | "share" }) {
  const lock = Prisma.raw(mode === "exclusive" ? "FOR NO KEY UPDATE" : "FOR SHARE");
  const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM jobs WHERE id = ${jobId}::uuid AND workspace_id = ${workspaceId}::uuid ${lock}`;
  return rows[0] ?? null;
}

/** Marks a running job whose expiry has passed as expired (its tokens already stopped with it). */
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

/** A job of this workspace; any other id (another workspace's, malformed, unknown) is the same 404. */
export async function getJob({ workspaceId, jobId }: { workspaceId: string; jobId: string }): Promise<JobView> {
  if (!isJobId(jobId)) throw new AppError("not_found", "No such job.");
  return db.$transaction(async (tx) => {
    const job = await tx.job.findFirst({ where: { id: jobId, workspaceId }, select: JOB_SELECT });
    if (!job) throw new AppError("not_found", "No such job.");
    return view(await settleExpiry(tx, job, new Date()));
  });
}

/**
 * Ends a job: revokes all its tokens (so its grants can no longer be read) and records why. Idempotent;
 * only the first call is audited. `ownerUserId` restricts it to the job's owner (the portal's Revoke).
 */
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
  return db.$transaction(async (tx) => {
    if (serviceTokenId) await lockLiveServiceToken(tx, serviceTokenId);
    // The job row lock serialises this with token rotation, so no token minted meanwhile escapes revocation.
    if (!(await lockJob(tx, { workspaceId, jobId, mode: "exclusive" }))) throw new AppError("not_found", "No such job.");
    const now = new Date();
    const found = await tx.job.findFirst({ where: { id: jobId, workspaceId, ...(ownerUserId ? { ownerUserId } : {}) }, select: JOB_SELECT });
    if (!found) throw new AppError("not_found", "No such job.");
    // Token row locks before the audit lock, in the same order as the credentials path (no deadlock).
    const revoked = await revokeJobTokens(tx, { workspaceId, jobId, now });
    const job = await settleExpiry(tx, found, now);
    if (job.status !== "running") return view(job);
    await tx.job.updateMany({ where: { id: jobId, workspaceId, status: "running" }, data: { status: "completed", endedAt: now } });
    await appendAuditEvent({ workspaceId, actor, action, target: `job:${jobId}`, ip, data: { tokensRevoked: revoked } }, tx);
    return view({ ...job, status: "completed", endedAt: now });
  });
}

export function completeJob(args: { workspaceId: string; jobId: string; serviceTokenId: string; ip?: string | null }) {
  return endJob({ ...args, action: "job.completed", actor: { type: "service", id: args.serviceTokenId } });
}

/** The owner ends one of their jobs from the portal (Agent access → Revoke). */
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

/** The user's running jobs in this workspace, newest first (the portal's Agent access page). */
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
