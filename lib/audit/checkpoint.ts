// Which appends sign a checkpoint, and how it is written: in the append's own transaction, under the workspace's
// audit lock, so a checkpoint always names a committed event with the hash it was committed with.
import "server-only";
import type { KeyObject } from "node:crypto";
import { escapeLiteral } from "pg";
import { getConfig } from "../config";
import type { Tx } from "../db/client";
import { isUuid } from "../db/sql";
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

export function signCheckpoint(claim: CheckpointClaim): SignedClaim | null {
  const signer = signingIdentity();
  return signer ? signClaim(signer.key, claim, signer.keyId) : null;
}

/** The events of an append that land on a multiple of AUDIT_CHECKPOINT_EVERY, each signed. */
export function checkpointsFor(appended: CheckpointClaim[]): SignedClaim[] {
  const every = getConfig().audit.checkpointEvery;
  const due = appended.filter((e) => e.seq % every === 0);
  if (!due.length) return [];
  return due.flatMap((e) => {
    const signed = signCheckpoint({ workspaceId: e.workspaceId, seq: e.seq, hash: e.hash });
    return signed ? [signed] : [];
  });
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
