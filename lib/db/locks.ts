// The lock order. Every transaction takes its locks in this order, so no two can deadlock:
//   1. the caller's token rows, FOR SHARE (a service token; a batch's job tokens in id order)
//   2. the workspace row, FOR NO KEY UPDATE (membership changes)
//   3. the job row: FOR SHARE to rotate its token, FOR NO KEY UPDATE to end it
//   4. the job's token rows in id order, FOR NO KEY UPDATE (revocation)
//   5. secret rows FOR SHARE (grants being created)
//   6. the workspace's audit lock, always last (appendAuditEvent and the credentials batch take it)
// NO KEY UPDATE rather than UPDATE: inserts that reference a row (audit events, tokens) take KEY SHARE on it,
// and a full UPDATE lock would deadlock with an audit append that holds the audit lock.
import "server-only";
import { escapeLiteral } from "pg";
import { Prisma } from "@/generated/prisma/client";
import { AppError } from "../errors";
import type { Tx } from "./client";

/** 2. Serialises membership changes of one workspace. */
export async function lockWorkspace(tx: Tx, workspaceId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM workspaces WHERE id = ${workspaceId}::uuid FOR NO KEY UPDATE`;
  if (rows.length === 0) throw new AppError("not_found", "No such workspace.");
}

/** 3. A job of this workspace, or null. */
export async function lockJob(tx: Tx, { workspaceId, jobId, mode }: { workspaceId: string; jobId: string; mode: "exclusive" | "share" }) {
  const lock = Prisma.raw(mode === "exclusive" ? "FOR NO KEY UPDATE" : "FOR SHARE");
  const rows = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM jobs WHERE id = ${jobId}::uuid AND workspace_id = ${workspaceId}::uuid ${lock}`;
  return rows[0] ?? null;
}

/** 4. Every token of a job, in id order (the order the credentials batch share-locks them in). */
export async function lockJobTokens(tx: Tx, { workspaceId, jobId }: { workspaceId: string; jobId: string }) {
  await tx.$queryRaw`SELECT id FROM tokens WHERE job_id = ${jobId}::uuid AND workspace_id = ${workspaceId}::uuid ORDER BY id FOR NO KEY UPDATE`;
}

/** 6. `pg_advisory_xact_lock(hashtextextended(<key>, 0))` is the audit lock of a workspace, for every writer. */
export function auditLockKey(workspaceId: string) {
  return `audit:${workspaceId}`;
}

export async function takeAuditLock(tx: Tx, workspaceId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${auditLockKey(workspaceId)}, 0))`;
}

/** 6, in a script: the audit locks of every workspace `workspacesSql` yields (one uuid column `id`), in id order. */
export function auditLocksSql(workspacesSql: string): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(${escapeLiteral(auditLockKey(""))} || w.id::text, 0))
    FROM (SELECT DISTINCT id FROM (${workspacesSql}) x) w ORDER BY w.id;`;
}
