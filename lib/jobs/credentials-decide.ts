// The decision on one credentials request, from the row the batch read: 401, the one 403, or the values.
import "server-only";
import type { AuditEventInput } from "../audit";
import type { Outcome } from "../audit/group-commit";
import type { MasterKey } from "../config";
import { isRefreshDue, isTokenExpired } from "../connections/freshness";
import { openTokens, tokensOwner } from "../connections/store";
import { DecryptError, open } from "../crypto/secret-box";
import { AppError } from "../errors";
import { log } from "../log";
import { hashMatches, isTokenLive } from "../tokens/liveness";
import type { ConnectionGrantRow, CredentialRow } from "./credentials-sql";

export type Credential = { env_var: string; value: string };

/** A granted connection whose access token is due: refreshed outside the batch, then the request comes back once. */
export type RefreshNeed = { connectionId: string; workspaceId: string; userId: string; version: number };

export type Decision =
  | { served: Credential[]; row: CredentialRow }
  | { denied: DenyReason; row: CredentialRow }
  | { refresh: RefreshNeed[]; row: CredentialRow };

/**
 * `refreshed` is set on the request's second (and last) pass: connection id → the version its refresh produced or
 * found. A token still due then is served only if it is not expired and still at that version; else 503.
 */
export type CredentialRequest = { hash: Uint8Array; jobId: string; ip: string | null | undefined; refreshed?: ReadonlyMap<string, number> };

/** Its audit event, if any, and what the caller gets once that committed. */
export type Decided = { event?: AuditEventInput; outcome: Outcome<Decision> };

export type DenyReason =
  | "job_not_running"
  | "job_expired"
  | "owner_gone"
  | "membership_gone"
  | "secret_deleted"
  | "connection_deleted"
  | "connection_needs_reconnect"
  | "decrypt_failed";

// Each check allows only the exact type that means "yes" (a boolean true, a real Date): anything else denies.
function denyReason(row: CredentialRow, now: Date): DenyReason | null {
  if (row.job_status !== "running") return "job_not_running";
  if (!(row.job_expires_at instanceof Date) || !(row.job_expires_at > now)) return "job_expired";
  if (!row.owner_user_id || row.owner_exists !== true) return "owner_gone";
  if (row.member !== true) return "membership_gone";
  if (row.grants.some((g) => g.secretId === null || g.box === null)) return "secret_deleted";
  if (row.connection_grants.some((g) => g.connectionId === null || g.box === null || !Number.isInteger(g.version))) return "connection_deleted";
  if (row.connection_grants.some((g) => g.status !== "active")) return "connection_needs_reconnect";
  return null;
}

const instant = (v: string | null) => (v === null ? null : new Date(v));
const grantName = (g: ConnectionGrantRow) => (g.kind === "mcp" ? `mcp:${g.ref}` : `provider:${g.ref}`);

/** Each granted connection's access token, or what to refresh first; throws DecryptError. */
function connectionValues(
  row: CredentialRow,
  keys: MasterKey[],
  now: Date,
  refreshed: ReadonlyMap<string, number> | undefined,
): { values: Credential[]; due: RefreshNeed[]; stale: boolean } {
  const values: Credential[] = [];
  const due: RefreshNeed[] = [];
  let stale = false;
  for (const g of row.connection_grants) {
    const owner = tokensOwner(row.workspace_id, row.owner_user_id!, g.connectionId!);
    const tokens = openTokens(owner, Buffer.from(g.box!, "base64"), keys);
    const times = { expiresAt: instant(g.expiresAt), obtainedAt: instant(g.obtainedAt) };
    if (isRefreshDue(times, now)) {
      if (!refreshed) due.push({ connectionId: g.connectionId!, workspaceId: row.workspace_id, userId: row.owner_user_id!, version: g.version! });
      else if (isTokenExpired(times, now) || (refreshed.has(g.connectionId!) && refreshed.get(g.connectionId!) !== g.version)) stale = true;
    }
    values.push({ env_var: g.envVar, value: tokens.accessToken });
  }
  return { values, due, stale };
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
    let opening: "secret" | "connection" = "secret";
    try {
      served = row.grants.map((g) => ({
        env_var: g.envVar,
        value: open(keys, { workspaceId: row.workspace_id, userId: row.owner_user_id!, name: g.secretName }, Buffer.from(g.box!, "base64")),
      }));
      opening = "connection";
      const connections = connectionValues(row, keys, now, request.refreshed);
      // Nothing is recorded for this pass: the request comes back after the refresh, which runs outside the batch.
      if (connections.due.length) return { outcome: { ok: true, value: { refresh: connections.due, row } } };
      // The refresh did not leave a token fit to hand out (someone else changed it since): never a stale token.
      if (connections.stale) return { outcome: { ok: false, error: new AppError("unavailable") } };
      if (connections.values.length) served = [...served, ...connections.values].sort((a, b) => (a.env_var < b.env_var ? -1 : a.env_var > b.env_var ? 1 : 0));
    } catch (err) {
      if (!(err instanceof DecryptError)) return { outcome: { ok: false, error: err } };
      log.warn({ jobId, reason: err.reason }, opening === "secret" ? "a granted secret could not be decrypted" : "a granted connection's tokens could not be decrypted");
      denied = "decrypt_failed";
      served = [];
    }
  }

  const base = { workspaceId: row.workspace_id, actor: { type: "job" as const, id: jobId }, target: `job:${jobId}`, ip };
  if (denied) {
    return {
      event: { ...base, action: "credentials.denied", data: { tokenId: row.token_id, reason: denied, ...deniedConnections(row, denied) } },
      outcome: { ok: true, value: { denied, row } },
    };
  }
  const envVars = [...row.grants.map((g) => g.envVar), ...row.connection_grants.map((g) => g.envVar)].sort();
  return {
    event: {
      ...base,
      action: "credentials.served",
      data: {
        tokenId: row.token_id,
        secrets: row.grants.map((g) => g.secretName),
        ...(row.connection_grants.length ? { connections: row.connection_grants.map(grantName) } : {}),
        envVars,
      },
    },
    outcome: { ok: true, value: { served, row } },
  };
}

/** Which granted connections a connection deny reason is about (names only, never a token). */
function deniedConnections(row: CredentialRow, reason: DenyReason): { connections?: string[] } {
  if (reason === "connection_deleted") return { connections: row.connection_grants.filter((g) => g.connectionId === null || g.box === null).map(grantName) };
  if (reason === "connection_needs_reconnect") return { connections: row.connection_grants.filter((g) => g.status !== "active").map(grantName) };
  return {};
}
