// The chain and checkpoint status the admin console shows (SPEC §13): the whole chain recomputed and every stored
// checkpoint checked against the recomputed hash at its seq and against the configured key.
import "server-only";
import { db } from "../db/client";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import type { CheckpointProblem } from "./chain-check";
import { signingIdentity } from "./checkpoint";
import { checkAuditChain } from "./verify";

export type AuditStatus = {
  /** The head's seq. */
  events: number;
  chain: { ok: boolean; brokenAt?: number };
  lastCheckpoint: { seq: number; createdAt: Date } | null;
  /** Every stored checkpoint matches the recomputed chain and verifies with the configured key. */
  checkpointsValid: boolean;
  /** The first checkpoint that does not, and why. */
  checkpointProblem?: { seq: number; reason: CheckpointProblem };
  /** Events after the last stored checkpoint: not yet covered by a signature. */
  uncheckpointed: number;
  /** "not_configured": GATEHOUSE_AUDIT_SIGNING_KEY is unset, so nothing is signed. */
  signing: "configured" | "not_configured";
  keyId: string | null;
};

export async function auditStatus({ workspaceId }: { workspaceId: string }): Promise<AuditStatus> {
  if (!isUuid(workspaceId)) throw new AppError("not_found", "No such workspace.");
  const [head, last, checked] = await Promise.all([
    db.auditEvent.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true } }),
    db.auditCheckpoint.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true, createdAt: true } }),
    checkAuditChain({ workspaceId }),
  ]);
  const headSeq = head?.seq ?? 0;
  const chainBrokenAt = checked.chainBrokenAt ?? (checked.events === 0 ? 1 : undefined);
  const signer = signingIdentity();
  return {
    events: headSeq,
    chain: chainBrokenAt === undefined ? { ok: true } : { ok: false, brokenAt: chainBrokenAt },
    lastCheckpoint: last ? { seq: last.seq, createdAt: last.createdAt } : null,
    checkpointsValid: checked.verifiedCheckpoints === checked.checkpoints,
    ...(checked.firstBadCheckpoint ? { checkpointProblem: checked.firstBadCheckpoint } : {}),
    uncheckpointed: Math.max(0, headSeq - (last?.seq ?? 0)),
    signing: signer ? "configured" : "not_configured",
    keyId: signer?.keyId ?? null,
  };
}
