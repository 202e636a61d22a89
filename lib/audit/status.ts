// The chain and checkpoint status the admin console shows (SPEC §13). Every stored checkpoint is checked (its
// signature, and that it names the stored event's hash); the chain is recomputed from the last valid checkpoint
// to the head, or from seq 1 with `full` (seconds per 100,000 events, like `gatehouse audit verify`).
import "server-only";
import { getConfig } from "../config";
import { db } from "../db/client";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import { judgeCheckpoint, verifierFor, type CheckpointProblem } from "./chain-check";
import { checkAuditChain, checkAuditTail } from "./verify";

export type AuditStatus = {
  /** The head's seq. */
  events: number;
  /**
   * From `checkedFrom` to the head the stored rows recompute to their hashes. Before it, without `full`, each
   * segment is vouched for by its checkpoint's signature over the stored hash, but its rows were not re-hashed.
   */
  chain: {
    ok: boolean;
    brokenAt?: number;
    /**
     * The first seq this call re-hashed: 1 with `full` or without a valid checkpoint, else the seq after the last
     * valid one (events + 1 when that checkpoint is the head: nothing after it to re-hash).
     */
    checkedFrom: number;
    full: boolean;
  };
  lastCheckpoint: { seq: number; createdAt: Date } | null;
  /** Every stored checkpoint names its event's hash and verifies with the configured key. */
  checkpointsValid: boolean;
  /** The first checkpoint that does not, and why. */
  checkpointProblem?: { seq: number; reason: CheckpointProblem };
  /** Events after the last stored checkpoint: not yet covered by a signature. */
  uncheckpointed: number;
  /** "not_configured": GATEHOUSE_AUDIT_SIGNING_KEY is unset, so nothing is signed. */
  signing: "configured" | "not_configured";
  keyId: string | null;
};

type StoredCheckpoint = { workspaceId: string; seq: number; hash: string; signature: string; keyId: string; createdAt: Date; eventHash: string | null };

export async function auditStatus({ workspaceId, full = false }: { workspaceId: string; full?: boolean }): Promise<AuditStatus> {
  if (!isUuid(workspaceId)) throw new AppError("not_found", "No such workspace.");
  const verifier = verifierFor(getConfig().audit.signingKey);
  // One snapshot: the head, the checkpoints and so checkedFrom describe the same moment, whatever commits meanwhile.
  const [head, stored] = await db.$transaction(
    [
      db.auditEvent.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true } }),
      db.$queryRaw<StoredCheckpoint[]>`
        SELECT c.workspace_id::text AS "workspaceId", c.seq, c.hash, c.signature, c.key_id AS "keyId", c.created_at AS "createdAt", e.hash AS "eventHash"
        FROM audit_checkpoints c LEFT JOIN audit_events e ON e.workspace_id = c.workspace_id AND e.seq = c.seq
        WHERE c.workspace_id = ${workspaceId}::uuid ORDER BY c.seq`,
    ],
    { isolationLevel: "RepeatableRead" },
  );
  const headSeq = head?.seq ?? 0;
  let problem: AuditStatus["checkpointProblem"];
  let lastValid: StoredCheckpoint | null = null;
  for (const cp of stored) {
    const reason = judgeCheckpoint(verifier, workspaceId, cp, cp.eventHash);
    if (reason) problem ??= { seq: cp.seq, reason };
    else lastValid = cp;
  }

  let chain: AuditStatus["chain"];
  if (full) {
    const r = await checkAuditChain({ workspaceId });
    const brokenAt = r.chainBrokenAt ?? (r.events === 0 ? 1 : undefined);
    chain = { ok: brokenAt === undefined, ...(brokenAt ? { brokenAt } : {}), checkedFrom: 1, full: true };
    // Against the recomputed chain, which is stricter than against the stored hashes.
    if (r.firstBadCheckpoint && (!problem || r.firstBadCheckpoint.seq < problem.seq)) problem = r.firstBadCheckpoint;
  } else {
    const start = lastValid ? { seq: lastValid.seq, hash: lastValid.hash } : null;
    // Up to the head of that snapshot: rows checkedFrom..events are exactly the ones re-hashed.
    const r = await checkAuditTail({ workspaceId, start, upTo: headSeq });
    // Rows gone from the end since the snapshot are a break too: the walk must reach the head it reports.
    const brokenAt = r.chainBrokenAt ?? (headSeq === 0 ? 1 : r.lastSeq < headSeq ? r.lastSeq + 1 : undefined);
    chain = { ok: brokenAt === undefined, ...(brokenAt ? { brokenAt } : {}), checkedFrom: (start?.seq ?? 0) + 1, full: false };
  }
  const last = stored.at(-1);
  return {
    events: headSeq,
    chain,
    lastCheckpoint: last ? { seq: last.seq, createdAt: last.createdAt } : null,
    checkpointsValid: !problem,
    ...(problem ? { checkpointProblem: problem } : {}),
    uncheckpointed: Math.max(0, headSeq - (last?.seq ?? 0)),
    signing: verifier ? "configured" : "not_configured",
    keyId: verifier?.keyId ?? null,
  };
}
