// Which appends sign a checkpoint, and how it is written: in the append's own transaction, under the workspace's
// audit lock, so a checkpoint always names a committed event with the hash it was committed with, and only after
// the rows since the previous checkpoint recomputed.
import "server-only";
import type { KeyObject } from "node:crypto";
import { escapeLiteral } from "pg";
import { getConfig } from "../config";
import type { Tx } from "../db/client";
import { isUuid } from "../db/sql";
import { log } from "../log";
import { checkSinceLastCheckpoint, type SqlRunner } from "./checkpoint-window";
import { publicKeyInfo, signClaim, type CheckpointClaim, type PublicKeyInfo, type SignedClaim } from "./signing";

export type SigningIdentity = PublicKeyInfo & { key: KeyObject };

let cached: { key: KeyObject; identity: SigningIdentity } | undefined;

/** The configured key and its public half, or null: without GATEHOUSE_AUDIT_SIGNING_KEY nothing is signed. */
export function signingIdentity(): SigningIdentity | null {
  const key = getConfig().audit.signingKey;
  if (!key) return null;
  if (cached?.key !== key) cached = { key, identity: { key, ...publicKeyInfo(key) } };
  return cached.identity;
}

/** The events of an append that land on a multiple of AUDIT_CHECKPOINT_EVERY: cheap, so every append can ask. */
export function dueCheckpoints<T extends CheckpointClaim>(appended: T[]): T[] {
  if (!signingIdentity()) return [];
  const every = getConfig().audit.checkpointEvery;
  return appended.filter((e) => e.seq % every === 0);
}

/**
 * Signs `due` (claims of one workspace chained from `head`, the stored chain end read under its audit lock) only
 * if the stored rows since the last checkpoint recompute to `head` (checkpoint-window.ts). Never throws and never
 * spoils the caller's transaction: a refusal, or any error on the way, is logged and signs nothing, so the events
 * still commit and audit verify / the admin status show the break.
 */
export async function signDueCheckpoints(
  runner: SqlRunner,
  { workspaceId, head, due }: { workspaceId: string; head: { seq: number; hash: string } | null; due: CheckpointClaim[] },
): Promise<SignedClaim[]> {
  const signer = signingIdentity();
  if (!signer || !due.length) return [];
  const seq = due[due.length - 1]!.seq;
  if (!isUuid(workspaceId)) return [];
  // A failed statement aborts the transaction; rolled back to here, the appends go on.
  await runner.exec("SAVEPOINT audit_checkpoint_window");
  try {
    const verdict = await checkSinceLastCheckpoint(runner, { workspaceId, head, verifier: signer });
    await runner.exec("RELEASE SAVEPOINT audit_checkpoint_window");
    if (!verdict.ok) {
      log.error({ workspaceId, seq, reason: verdict.reason, brokenAt: verdict.seq }, "audit checkpoint not signed: the chain since the last checkpoint does not recompute");
      return [];
    }
    return due.map((e) => signClaim(signer.key, { workspaceId, seq: e.seq, hash: e.hash }, signer.keyId));
  } catch (err) {
    await runner.exec("ROLLBACK TO SAVEPOINT audit_checkpoint_window");
    log.error({ err, workspaceId, seq }, "audit checkpoint not signed: the chain since the last checkpoint could not be checked");
    return [];
  }
}

/** One statement for the group commit's script; another instance's sweep may have taken the seq first. */
export function checkpointInsertSql(claims: SignedClaim[]): string {
  const values = claims.map((c) => {
    if (!isUuid(c.workspaceId) || !/^[0-9a-f]{64}$/.test(c.hash)) throw new Error("audit checkpoint: malformed claim");
    return `('${c.workspaceId}', ${Math.trunc(c.seq)}, '${c.hash}', ${escapeLiteral(c.signature)}, ${escapeLiteral(c.keyId)})`;
  });
  return `INSERT INTO audit_checkpoints (workspace_id, seq, hash, signature, key_id) VALUES ${values.join(", ")}
    ON CONFLICT (workspace_id, seq) DO NOTHING`;
}

export async function insertCheckpoints(tx: Tx, claims: SignedClaim[]): Promise<void> {
  if (!claims.length) return;
  await tx.auditCheckpoint.createMany({ data: claims, skipDuplicates: true });
}
