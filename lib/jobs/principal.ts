import "server-only";
import { db } from "../db/client";
import { findLiveToken, needsTouch, touchToken } from "../tokens/registry";
import type { Delivery } from "./create";
import type { JobStatus } from "./status";

/** Who a live job token speaks for: its job, with the owner and delivery context recorded at creation. */
export type JobPrincipal = {
  tokenId: string;
  jobId: string;
  workspaceId: string;
  ownerUserId: string;
  status: JobStatus;
  expiresAt: Date;
  delivery: Delivery | null;
};

export async function findJobPrincipal(token: string): Promise<JobPrincipal | null> {
  const row = await findLiveToken(db, token, "job");
  if (!row?.jobId) return null;
  const job = await db.job.findFirst({
    where: { id: row.jobId, workspaceId: row.workspaceId },
    select: { id: true, workspaceId: true, ownerUserId: true, status: true, expiresAt: true, deliveryPlatform: true, deliveryChatId: true, deliveryThreadId: true },
  });
  if (!job) return null;
  const now = new Date();
  if (needsTouch(row.lastUsedAt, now)) touchToken(row.id, now);
  const platform = job.deliveryPlatform;
  const delivery: Delivery | null =
    (platform === "telegram" || platform === "slack") && job.deliveryChatId
      ? { platform, chatId: job.deliveryChatId, ...(job.deliveryThreadId ? { threadId: job.deliveryThreadId } : {}) }
      : null;
  return {
    tokenId: row.id,
    jobId: job.id,
    workspaceId: job.workspaceId,
    ownerUserId: job.ownerUserId,
    status: job.status === "running" && job.expiresAt <= now ? "expired" : job.status,
    expiresAt: job.expiresAt,
    delivery,
  };
}
