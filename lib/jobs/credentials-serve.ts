// The worker's credentials (SPEC §6): exactly the secrets the job's owner granted, or nothing. Requests are
// handled in batches (the audit group commit, ../audit/group-commit.ts): one transaction reads every token of
// the batch with its job, membership and grants (ciphertexts included) FOR SHARE OF the token rows, takes the
// audit lock of each workspace involved, decides and decrypts, and records every decision; constant round trips
// whatever the number of grants or requests. A revocation that returns has either been seen by that read or
// waited until the batch recorded it, and nothing is returned before the batch committed.
import "server-only";
import { chainEnds, chainInsert, createGroupCommit, lockChainsSql, type Outcome } from "../audit/group-commit";
import type { AuditEventInput } from "../audit";
import { getConfig } from "../config";
import { DecryptError, open } from "../crypto/secret-box";
import type { SqlConnection } from "../db/client";
import { AppError } from "../errors";
import { log } from "../log";
import { recordSecretsUsed } from "../secrets/store";
import { hashToken } from "../tokens/format";
import { hashMatches, isTokenLive, needsTouch, touchToken } from "../tokens/registry";
import { isJobId } from "./lifecycle";

export type Credential = { env_var: string; value: string };

export const CREDENTIALS_DENIED_MESSAGE = "This job may not receive credentials.";

type Row = {
  token_id: string;
  kind: "service" | "job";
  hash: Uint8Array;
  token_job_id: string | null;
  token_expires_at: Date;
  revoked_at: Date | null;
  grace_until: Date | null;
  token_last_used_at: Date | null;
  workspace_id: string;
  job_id: string | null;
  job_status: "running" | "completed" | "expired" | null;
  job_expires_at: Date | null;
  owner_user_id: string | null;
  owner_exists: boolean;
  member: boolean;
  grants: { envVar: string; secretName: string; secretId: string | null; box: string | null; lastUsedAt: string | null }[];
};

type Decision =
  | { served: Credential[]; row: Row }
  | { denied: string; row: Row };

export type DenyReason =
  | "job_not_running"
  | "job_expired"
  | "owner_gone"
  | "membership_gone"
  | "secret_deleted"
  | "decrypt_failed";

// Each check allows only the exact type that means "yes" (a boolean true, a real Date): anything else denies.
function denyReason(row: Row, now: Date): DenyReason | null {
  if (row.job_status !== "running") return "job_not_running";
  if (!(row.job_expires_at instanceof Date) || !(row.job_expires_at > now)) return "job_expired";
  if (!row.owner_user_id || row.owner_exists !== true) return "owner_gone";
  if (row.member !== true) return "membership_gone";
  if (row.grants.some((g) => g.secretId === null || g.box === null)) return "secret_deleted";
  return null;
}

type Request = { hash: Uint8Array; jobId: string; ip: string | null | undefined };

/** The decision on one request: its audit event, if any, and what the caller gets once that committed. */
type Decided = { event?: AuditEventInput; outcome: Outcome<Decision> };

function decide(request: Request, row: Row | undefined, keys: ReturnType<typeof getConfig>["masterKeys"], now: Date): Decided {
  const { hash, jobId, ip } = request;
  if (
    !row ||
    row.kind !== "job" ||
    !hashMatches(row.hash, hash) ||
    !isTokenLive({ expiresAt: row.token_expires_at, revokedAt: row.revoked_at, graceUntil: row.grace_until }, now) ||
    row.token_job_id !== jobId ||
    row.job_id !== jobId
  ) {
    return { outcome: { ok: false, error: new AppError("invalid_token") } };
  }

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

/**
 * One batch in two round trips: (BEGIN, the read FOR SHARE OF the token rows, the audit locks of their
 * workspaces, the chains' ends) and (INSERT of every decision, COMMIT). Token hashes are our own SHA-256
 * digests, written into the script as hex.
 */
async function serveBatch(conn: SqlConnection, requests: Request[]): Promise<Outcome<Decision>[]> {
  const hashes = [...new Set(requests.map((r) => Buffer.from(r.hash).toString("hex")))].sort();
  const byHash = `t.hash IN (${hashes.map((h) => `decode('${h}', 'hex')`).join(", ")})`;
  // Token rows first (FOR SHARE, in id order: revocations lock them the same way), then the audit locks, then
  // the read of job, membership, grants and ciphertexts. Every audited change (secret deleted, member removed,
  // job ended) commits under its workspace's audit lock, so the read, taken after the locks, sees all that
  // returned before this batch recorded anything.
  const results = await conn.script(`
    SELECT t.id FROM tokens t WHERE ${byHash} ORDER BY t.id FOR SHARE;
    ${lockChainsSql(`SELECT t.workspace_id AS id FROM tokens t WHERE ${byHash}`)}
    SELECT t.id::text AS token_id, t.kind::text AS kind, t.hash, t.job_id::text AS token_job_id,
           t.expires_at AS token_expires_at, t.revoked_at, t.grace_until, t.last_used_at AS token_last_used_at,
           t.workspace_id::text AS workspace_id, j.id::text AS job_id, j.status::text AS job_status,
           j.expires_at AS job_expires_at, j.owner_user_id::text AS owner_user_id,
           EXISTS (SELECT 1 FROM users u WHERE u.id = j.owner_user_id) AS owner_exists,
           EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = j.workspace_id AND m.user_id = j.owner_user_id) AS member,
           COALESCE((
             SELECT json_agg(json_build_object(
                      'envVar', g.env_var, 'secretName', g.secret_name, 'secretId', s.id,
                      'box', encode(s.ciphertext, 'base64'), 'lastUsedAt', s.last_used_at) ORDER BY g.env_var)
             FROM job_grants g
             LEFT JOIN secrets s ON s.id = g.secret_id AND s.workspace_id = j.workspace_id AND s.user_id = j.owner_user_id
             WHERE g.job_id = j.id AND g.workspace_id = j.workspace_id AND g.owner_user_id = j.owner_user_id
           ), '[]'::json) AS grants
    FROM tokens t
    LEFT JOIN jobs j ON j.id = t.job_id AND j.workspace_id = t.workspace_id
    WHERE ${byHash}`);
  const rows = new Map((results[results.length - 1] as Row[]).map((r) => [Buffer.from(r.hash).toString("hex"), r]));
  const ends = chainEnds(results[results.length - 2]!);
  const keys = getConfig().masterKeys;
  const now = new Date();
  const decided = requests.map((r) => decide(r, rows.get(Buffer.from(r.hash).toString("hex")), keys, now));
  const events = decided.flatMap((d) => (d.event ? [d.event] : []));
  if (events.length) await conn.scriptAndCommit(chainInsert(ends, events).sql);
  return decided.map((d) => d.outcome);
}

const submit = createGroupCommit(serveBatch);

/**
 * Serves the credentials of `jobId` to the bearer of `token`. 401 (`invalid_token`) when the token is not a
 * live job token of this job; the one 403 for every reason to deny; every authenticated call is audited and
 * nothing is served unless its `credentials.served` record committed.
 */
export async function serveCredentials({ token, jobId, ip }: { token: string; jobId: string; ip?: string | null }): Promise<Credential[]> {
  if (!isJobId(jobId)) throw new AppError("invalid_token");
  const decision = await submit("credentials", { hash: hashToken(token), jobId, ip });

  const now = new Date();
  if (needsTouch(decision.row.token_last_used_at, now)) touchToken(decision.row.token_id, now);
  if ("denied" in decision) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
  const stale = decision.row.grants.filter((g) => needsTouch(g.lastUsedAt ? new Date(g.lastUsedAt) : null, now)).map((g) => g.secretId!);
  if (stale.length) recordSecretsUsed({ workspaceId: decision.row.workspace_id, userId: decision.row.owner_user_id!, ids: stale, now });
  return decision.served;
}
