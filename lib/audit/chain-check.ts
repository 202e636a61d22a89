// One walk over a workspace's chain, from seq 1, checking each checkpoint against the hash recomputed at its seq.
// Shared by the database verifier (verify.ts) and the offline one (verify-file.ts), so both judge alike.
import type { KeyObject } from "node:crypto";
import { GENESIS_HASH, hashEvent, type ChainedEvent } from "./canonical";
import { publicKeyInfo, verifyClaim, type SignedClaim } from "./signing";

export type StoredEvent = ChainedEvent & { prevHash: string; hash: string };

export type CheckpointProblem =
  /** The checkpoint's hash is not the one recomputed at its seq: history before it was rewritten. */
  | "checkpoint_hash_mismatch"
  | "checkpoint_bad_signature"
  /** Signed with a key other than the one we verify with. */
  | "checkpoint_unknown_key"
  /** No key to verify with (GATEHOUSE_AUDIT_SIGNING_KEY unset). */
  | "checkpoint_unverifiable"
  /** Names a seq the chain does not reach, another workspace, or comes out of order. */
  | "checkpoint_out_of_place";

export type ChainCheckResult = {
  events: number;
  lastSeq: number;
  lastHash: string;
  /** The first seq that does not follow from the one before (chain recomputation). */
  chainBrokenAt?: number;
  checkpoints: number;
  /** Checkpoints whose hash and signature both held. */
  verifiedCheckpoints: number;
  /** The last of those. */
  lastCheckpoint: { seq: number } | null;
  firstBadCheckpoint?: { seq: number; reason: CheckpointProblem };
};

export type Verifier = { key: KeyObject; keyId: string };

export function verifierFor(key: KeyObject | null): Verifier | null {
  return key ? { key, keyId: publicKeyInfo(key).keyId } : null;
}

/** One checkpoint against the hash of the event at its seq (null: no such event) and the key. */
export function judgeCheckpoint(verifier: Verifier | null, workspaceId: string, cp: SignedClaim, eventHash: string | null): CheckpointProblem | null {
  if (cp.workspaceId !== workspaceId || cp.seq < 1 || eventHash === null) return "checkpoint_out_of_place";
  if (cp.hash !== eventHash) return "checkpoint_hash_mismatch";
  if (!verifier) return "checkpoint_unverifiable";
  if (cp.keyId !== verifier.keyId) return "checkpoint_unknown_key";
  return verifyClaim(verifier.key, { workspaceId, seq: cp.seq, hash: eventHash }, cp.signature) ? null : "checkpoint_bad_signature";
}

export class ChainCheck {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private state: ChainCheckResult = { events: 0, lastSeq: 0, lastHash: GENESIS_HASH, checkpoints: 0, verifiedCheckpoints: 0, lastCheckpoint: null };

  /** `start`: resume after a seq whose hash is already trusted (a verified checkpoint) instead of at seq 1. */
  constructor(
    private readonly workspaceId: string,
    private readonly verifier: Verifier | null,
    start?: { seq: number; hash: string },
  ) {
    if (start) {
      this.expectedSeq = start.seq + 1;
      this.prevHash = start.hash;
      this.state.lastSeq = start.seq;
      this.state.lastHash = start.hash;
    }
  }

  get broken(): boolean {
    return this.state.chainBrokenAt !== undefined;
  }

  /** False from the first event that does not fit; later calls change nothing. */
  addEvent(row: StoredEvent): boolean {
    if (this.broken) return false;
    const fits = row.workspaceId === this.workspaceId && row.seq === this.expectedSeq && row.prevHash === this.prevHash && row.hash === hashEvent(this.prevHash, row);
    if (!fits) {
      this.state.chainBrokenAt = this.expectedSeq;
      return false;
    }
    this.prevHash = row.hash;
    this.state.events += 1;
    this.state.lastSeq = row.seq;
    this.state.lastHash = row.hash;
    this.expectedSeq += 1;
    return true;
  }

  /** Right after the event of its seq, before the next one; judged against the hash we recomputed there. */
  addCheckpoint(cp: SignedClaim): void {
    if (this.broken) return;
    this.state.checkpoints += 1;
    const problem = this.judge(cp);
    if (problem) this.state.firstBadCheckpoint ??= { seq: cp.seq, reason: problem };
    else {
      this.state.verifiedCheckpoints += 1;
      this.state.lastCheckpoint = { seq: cp.seq };
    }
  }

  private judge(cp: SignedClaim): CheckpointProblem | null {
    if (cp.seq !== this.state.lastSeq) return "checkpoint_out_of_place";
    return judgeCheckpoint(this.verifier, this.workspaceId, cp, this.state.lastHash);
  }

  /** A checkpoint whose seq the walk never reached (the chain ended or broke before it). */
  unreached(cp: { seq: number }): void {
    this.state.checkpoints += 1;
    if (!this.broken) this.state.firstBadCheckpoint ??= { seq: cp.seq, reason: "checkpoint_out_of_place" };
  }

  result(): ChainCheckResult {
    return { ...this.state };
  }
}
