// The lock order; every transaction follows it, so none can deadlock:
//   1. the caller's token rows FOR SHARE (a batch's job tokens in id order)
//   2. the workspace row FOR NO KEY UPDATE (membership changes)
//   2b. one membership row FOR NO KEY UPDATE (that member's secret writes: the per-user cap)
//   2c. one invite row, by its UPDATE (a redemption taking a use, a revocation), after the workspace row
//   3. the job row: FOR SHARE to rotate its token, FOR NO KEY UPDATE to end it
//   4. the job's token rows in id order, FOR NO KEY UPDATE (revocation)
//   5. secret rows FOR SHARE (grants being created)
//   6. the workspace's audit lock, always last
// NO KEY UPDATE, not UPDATE: referencing inserts take KEY SHARE, so UPDATE would deadlock with an audit append.
import "server-only";
import { escapeLiteral } from "pg";
import { Prisma } from "@/generated/prisma/client";
import { AppError } from "../errors";
import type { Tx } from "./client";

export async function lockWorkspace(tx: Tx, workspaceId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE id = ${workspaceId}::uuid FOR NO KEY UPDATE`;
  if (rows.length === 0) throw new AppError("not_found", "No such workspace.");
}

/** False when the user is not a member. */
export async function lockMembership(tx: Tx, { workspaceId, userId }: { workspaceId: string; userId: string }): Promise<boolean> {
  const rows = await tx.$queryRaw<{ one: number }[]>`SELECT 1 AS one FROM memberships WHERE workspace_id = ${workspaceId}::uuid AND user_id = ${userId}::uuid FOR NO KEY UPDATE`;
  return rows.length === 1;
}

export async function lockJob(tx: Tx, { workspaceId, jobId, mode }: { workspaceId: string; jobId: string; mode: "exclusive" | "share" }) {
  const lock = Prisma.raw(mode === "exclusive" ? "FOR NO KEY UPDATE" : "FOR SHARE");
  const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM jobs WHERE id = ${jobId}::uuid AND workspace_id = ${workspaceId}::uuid ${lock}`;
  return rows[0] ?? null;
}

/** Id order, as the credentials batch share-locks them. */
export async function lockJobTokens(tx: Tx, { workspaceId, jobId }: { workspaceId: string; jobId: string }) {
  await tx.$queryRaw`SELECT id FROM tokens WHERE job_id = ${jobId}::uuid AND workspace_id = ${workspaceId}::uuid ORDER BY id FOR NO KEY UPDATE`;
}

export function auditLockKey(workspaceId: string) {
  return `audit:${workspaceId}`;
}

export async function takeAuditLock(tx: Tx, workspaceId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${auditLockKey(workspaceId)}, 0))`;
}

/** In id order, so concurrent batches cannot deadlock. */
export function auditLocksSql(workspacesSql: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(${escapeLiteral(auditLockKey(""))} || w.id::text, 0))
    FROM (SELECT DISTINCT id FROM (${workspacesSql}) x) w ORDER BY w.id;`;
}
