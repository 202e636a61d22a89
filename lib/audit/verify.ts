import "server-only";
import { getConfig } from "../config";
import { db, dbPool } from "../db/client";
import { AppError } from "../errors";
import { ChainCheck, verifierFor, type ChainCheckResult, type CheckpointProblem, type StoredEvent } from "./chain-check";

export type VerifyProblem = "chain_broken" | CheckpointProblem;

export type VerifyResult = { ok: boolean; events: number; checkpoints: number; brokenAt?: number; reason?: VerifyProblem; workspaceId?: string };

const BATCH = 1000;

/** What every chain walk reads of a row, as a StoredEvent. */
export const STORED_EVENT_COLUMNS = `workspace_id::text AS "workspaceId", seq, created_at AS "createdAt", actor_type::text AS "actorType",
  actor_id AS "actorId", action, target, ip, data, prev_hash AS "prevHash", hash`;

/**
 * Windows of BATCH seqs up to the head seen at the start: seq has no gaps, so each query reads at most BATCH rows
 * whatever plan the statistics lead to, and a missing window shows up as the next row not fitting.
 */
async function* storedEvents(workspaceId: string, from = 0, upTo?: number): AsyncGenerator<StoredEvent[]> {
  const [head] = upTo === undefined ? await db.$queryRaw<{ seq: number | null }[]>`SELECT max(seq) AS seq FROM audit_events WHERE workspace_id = ${workspaceId}::uuid` : [{ seq: upTo }];
  const last = head?.seq ?? 0;
  for (let after = from; after < last; after += BATCH) {
    const { rows } = await dbPool().query<StoredEvent>(
      `SELECT ${STORED_EVENT_COLUMNS} FROM audit_events WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq`,
      [workspaceId, after, Math.min(after + BATCH, last)],
    );
    if (rows.length) yield rows;
  }
}

/**
 * Recomputes a workspace's chain from seq 1 and checks every stored checkpoint against the hash recomputed at its
 * seq and its signature against the configured key: a rewrite that re-chained every later row consistently still
 * fails at the first checkpoint after it.
 */
export async function checkAuditChain({ workspaceId }: { workspaceId: string }): Promise<ChainCheckResult> {
  const check = new ChainCheck(workspaceId, verifierFor(getConfig().audit.signingKey));
  const checkpoints = await db.auditCheckpoint.findMany({
    where: { workspaceId },
    orderBy: { seq: "asc" },
    select: { workspaceId: true, seq: true, hash: true, signature: true, keyId: true },
  });
  let next = 0;
  walk: for await (const page of storedEvents(workspaceId)) {
    for (const row of page) {
      if (!check.addEvent(row)) break walk;
      while (checkpoints[next]?.seq === row.seq) check.addCheckpoint(checkpoints[next++]!);
    }
  }
  for (; next < checkpoints.length; next++) check.unreached(checkpoints[next]!);
  return check.result();
}

/**
 * The chain from just after `start` (a checkpoint already verified) to `upTo` (the head when omitted): the cheap
 * check of a status page.
 */
export async function checkAuditTail({ workspaceId, start, upTo }: { workspaceId: string; start: { seq: number; hash: string } | null; upTo?: number }): Promise<ChainCheckResult> {
  const check = new ChainCheck(workspaceId, null, start ?? undefined);
  walk: for await (const page of storedEvents(workspaceId, start?.seq ?? 0, upTo)) {
    for (const row of page) if (!check.addEvent(row)) break walk;
  }
  return check.result();
}

/** The first problem by seq: the chain's own, or a checkpoint's. */
export function verdict(r: ChainCheckResult, workspaceId?: string): VerifyResult {
  const base = { events: r.events, checkpoints: r.checkpoints, ...(workspaceId ? { workspaceId } : {}) };
  // Every workspace starts its chain when it is created, so an empty chain means rows were removed.
  const chainBrokenAt = r.chainBrokenAt ?? (r.events === 0 ? 1 : undefined);
  const bad = r.firstBadCheckpoint;
  if (chainBrokenAt !== undefined && (!bad || chainBrokenAt <= bad.seq)) return { ok: false, ...base, brokenAt: chainBrokenAt, reason: "chain_broken" };
  if (bad) return { ok: false, ...base, brokenAt: bad.seq, reason: bad.reason };
  return { ok: true, ...base };
}

export async function verifyAuditChain({ workspaceId }: { workspaceId: string }): Promise<VerifyResult> {
  return verdict(await checkAuditChain({ workspaceId }), workspaceId);
}

/** Verifies every workspace (or one); stops at the first broken chain. */
export async function verifyAudit({ workspaceId }: { workspaceId?: string } = {}): Promise<VerifyResult> {
  if (workspaceId && !(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
    throw new AppError("not_found", "No such workspace.");
  }
  const ids = workspaceId
    ? [workspaceId]
    : (await db.workspace.findMany({ select: { id: true }, orderBy: { createdAt: "asc" } })).map((w) => w.id);
  let events = 0;
  let checkpoints = 0;
  for (const id of ids) {
    const result = await verifyAuditChain({ workspaceId: id });
    events += result.events;
    checkpoints += result.checkpoints;
    if (!result.ok) return { ...result, events, checkpoints };
  }
  return workspaceId ? { ok: true, events, checkpoints, workspaceId } : { ok: true, events, checkpoints };
}
