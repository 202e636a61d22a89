// The decision on one credentials request, from the row the batch read: 401, the one 403, or the values.
import "server-only";
import type { AuditEventInput } from "../audit";
import type { Outcome } from "../audit/group-commit";
import type { MasterKey } from "../config";
import { DecryptError, open } from "../crypto/secret-box";
import { AppError } from "../errors";
import { log } from "../log";
import { hashMatches, isTokenLive } from "../tokens/liveness";
import type { CredentialRow } from "./credentials-sql";

export type Credential = { env_var: string; value: string };

export type Decision = { served: Credential[]; row: CredentialRow } | { denied: DenyReason; row: CredentialRow };

export type CredentialRequest = { hash: Uint8Array; jobId: string; ip: string | null | undefined };

/** Its audit event, if any, and what the caller gets once that committed. */
export type Decided = { event?: AuditEventInput; outcome: Outcome<Decision> };

export type DenyReason = "job_not_running" | "job_expired" | "owner_gone" | "membership_gone" | "secret_deleted" | "decrypt_failed";

// Each check allows only the exact type that means "yes" (a boolean true, a real Date): anything else denies.
function denyReason(row: CredentialRow, now: Date): DenyReason | null {
  if (row.job_status !== "running") return "job_not_running";
  if (!(row.job_expires_at instanceof Date) || !(row.job_expires_at > now)) return "job_expired";
  if (!row.owner_user_id || row.owner_exists !== true) return "owner_gone";
  if (row.member !== true) return "membership_gone";
  if (row.grants.some((g) => g.secretId === null || g.box === null)) return "secret_deleted";
  return null;
}

// Marked dead for every instance only when no clock error could be why: revoked, or ended minutes ago.
const DEAD_MARGIN_MS = 5 * 60_000;

function isDeadForGood(row: CredentialRow, now: Date): boolean {
  if (row.revoked_at !== null) return true;
  const end = Math.min(row.token_expires_at.getTime(), row.grace_until?.getTime() ?? Infinity);
  return end < now.getTime() - DEAD_MARGIN_MS;
}

export function decide(request: CredentialRequest, row: CredentialRow | undefined, keys: MasterKey[], now: Date): Decided {
  const { hash, jobId, ip } = request;
  // One 401 for all; lib alone learns `token_dead`: a token Gatehouse issued that is no longer live (it never
  // becomes live again). Unknown hashes are not marked: they do not repeat, and marking them would let anyone
  // make Redis keep a key per random token. A live token on another job's path says only "not here".
  if (!row || row.kind !== "job" || !hashMatches(row.hash, hash)) return { outcome: { ok: false, error: new AppError("invalid_token") } };
  if (!isTokenLive({ expiresAt: row.token_expires_at, revokedAt: row.revoked_at, graceUntil: row.grace_until }, now)) {
    return { outcome: { ok: false, error: new AppError("invalid_token", undefined, isDeadForGood(row, now) ? { reason: "token_dead" } : {}) } };
  }
  if (row.token_job_id !== jobId || row.job_id !== jobId) return { outcome: { ok: false, error: new AppError("invalid_token") } };

  let denied: DenyReason | null = denyReason(row, now);
  let served: Credential[] = [];
  if (!denied) {
    try {
      served = row.grants.map((g) => ({
        env_var: g.envVar,
        value: open(keys, { workspaceId: row.workspace_id, userId: row.owner_user_id!, name: g.secretName }, Buffer.from(g.box!, "base64")),
      }));
    } catch (err) {
      if (!(err instanceof DecryptError)) return { outcome: { ok: false, error: err } };
      log.warn({ jobId, reason: err.reason }, "a granted secret could not be decrypted");
      denied = "decrypt_failed";
    }
  }

  const base = { workspaceId: row.workspace_id, actor: { type: "job" as const, id: jobId }, target: `job:${jobId}`, ip };
  if (denied) {
    return {
      event: { ...base, action: "credentials.denied", data: { tokenId: row.token_id, reason: denied } },
      outcome: { ok: true, value: { denied, row } },
    };
  }
  return {
    event: {
      ...base,
      action: "credentials.served",
      data: { tokenId: row.token_id, secrets: row.grants.map((g) => g.secretName), envVars: row.grants.map((g) => g.envVar) },
    },
    outcome: { ok: true, value: { served, row } },
  };
}
