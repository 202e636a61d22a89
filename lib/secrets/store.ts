// Values are write-only: sealed on the way in, opened only for a job's credentials, never returned (SPEC §6).
import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { seal } from "../crypto/secret-box";
import { db, type Tx } from "../db/client";
import { lockMembership } from "../db/locks";
import { transactWithRetry } from "../db/retry";
import { AppError } from "../errors";
import { log } from "../log";

import { MAX_SECRET_BYTES, SECRET_NAME_PATTERN } from "./names";

export { MAX_SECRET_BYTES, SECRET_NAME_PATTERN };
export const MAX_SECRETS_PER_USER = 200;

export type SecretOwnerRef = { workspaceId: string; userId: string };

export type SecretSummary = { name: string; createdAt: Date; updatedAt: Date; lastUsedAt: Date | null };

export function assertSecretName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !SECRET_NAME_PATTERN.test(name)) {
    throw new AppError(
      "validation_failed",
      "A secret name starts with a letter and has at most 64 letters, digits, '_', '.' or '-'.",
    );
  }
}

function assertSecretValue(value: unknown): asserts value is string {
  if (typeof value !== "string" || value.length === 0) throw new AppError("validation_failed", "The value must be a non-empty string.");
  if (Buffer.byteLength(value, "utf8") > MAX_SECRET_BYTES) {
    throw new AppError("validation_failed", `The value must be at most ${MAX_SECRET_BYTES / 1024} KiB.`);
  }
  if (!value.isWellFormed() || value.includes("\0")) {
    throw new AppError("validation_failed", "The value must be valid text without NUL characters (it becomes an environment variable).");
  }
}

export async function listSecrets({ workspaceId, userId }: SecretOwnerRef): Promise<SecretSummary[]> {
  return db.secret.findMany({
    where: { workspaceId, userId },
    orderBy: { name: "asc" },
    select: { name: true, createdAt: true, updatedAt: true, lastUsedAt: true },
  });
}

export function countSecrets({ workspaceId, userId }: SecretOwnerRef): Promise<number> {
  return db.secret.count({ where: { workspaceId, userId } });
}

export async function putSecret({
  workspaceId,
  userId,
  name,
  value,
  actor,
  ip,
  onlyIfNew = false,
}: SecretOwnerRef & { name: unknown; value: unknown; actor: AuditActor; ip?: string | null; onlyIfNew?: boolean }): Promise<{ created: boolean }> {
  assertSecretName(name);
  assertSecretValue(value);
  const { box, keyId } = seal(getConfig().masterKeys, { workspaceId, userId, name }, value);
  // Two first writes of one name race on the unique index; the loser retries and replaces.
  return transactWithRetry(async (tx) => {
    // Held to commit: concurrent first writes cannot all pass the count below.
    if (!(await lockMembership(tx, { workspaceId, userId }))) throw new AppError("forbidden", "Only a member of this workspace can keep secrets in it.");
    const now = new Date();
    const existing = await tx.secret.findUnique({ where: { workspaceId_userId_name: { workspaceId, userId, name } }, select: { id: true } });
    if (existing && onlyIfNew) throw new AppError("conflict", "You already have a secret with that name.");
    const replaced = existing
      ? (await tx.secret.updateMany({ where: { id: existing.id, workspaceId, userId }, data: { ciphertext: box, keyId, updatedAt: now } })).count === 1
      : false;
    if (!replaced) {
      // New, or deleted since we looked.
      if ((await tx.secret.count({ where: { workspaceId, userId } })) >= MAX_SECRETS_PER_USER) {
        throw new AppError("validation_failed", `You can keep at most ${MAX_SECRETS_PER_USER} secrets; delete one you no longer need.`);
      }
      await tx.secret.create({ data: { workspaceId, userId, name, ciphertext: box, keyId, createdAt: now, updatedAt: now }, select: { id: true } });
    }
    await appendAuditEvent(
      { workspaceId, actor, action: replaced ? "secret.replaced" : "secret.created", target: `secret:${name}`, ip, data: { name, owner: userId } },
      tx,
    );
    return { created: !replaced };
  });
}

/** Grants keep their row with no secret, so those jobs are denied, never re-granted. */
export async function deleteSecret({
  workspaceId,
  userId,
  name,
  actor,
  ip,
}: SecretOwnerRef & { name: unknown; actor: AuditActor; ip?: string | null }): Promise<void> {
  assertSecretName(name);
  await db.$transaction(async (tx) => {
    const { count } = await tx.secret.deleteMany({ where: { workspaceId, userId, name } });
    if (count === 0) throw new AppError("not_found", "You have no secret with that name.");
    await appendAuditEvent({ workspaceId, actor, action: "secret.deleted", target: `secret:${name}`, ip, data: { name, owner: userId } }, tx);
  });
}

/** Locked until the caller commits its grants, so no grant points at a secret deleted meanwhile. */
export async function lockSecretsByName(tx: Tx, { workspaceId, userId, names }: SecretOwnerRef & { names: string[] }) {
  if (names.length === 0) return new Map<string, string>();
  const rows = await tx.$queryRaw<{ id: string; name: string }[]>`
    SELECT id::text AS id, name FROM secrets
    WHERE workspace_id = ${workspaceId}::uuid AND user_id = ${userId}::uuid AND name = ANY(${names}::text[])
    FOR SHARE`;
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** Callers throttle it; fire-and-forget, so it never fails the read. */
export function recordSecretsUsed({ workspaceId, userId, ids, now }: SecretOwnerRef & { ids: string[]; now: Date }) {
  db.secret
    .updateMany({ where: { workspaceId, userId, id: { in: ids } }, data: { lastUsedAt: now } })
    .catch((err: unknown) => log.warn({ err }, "could not record secret use"));
}
