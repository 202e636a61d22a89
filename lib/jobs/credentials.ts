// The worker's credentials (SPEC §6): exactly the secrets the job's owner granted, or nothing. One query
// reads token, job, membership and every grant with its ciphertext (constant round trips whatever the
// number of grants); the decision and its audit record commit together, and the token row stays share-locked
// until then, so a revocation that returns has either been seen here or waited for this read to be recorded.
import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { DecryptError, open } from "../crypto/secret-box";
import { db } from "../db";
import { AppError } from "../http/errors";
import { log } from "../log";
import { recordSecretsUsed } from "../secrets/secrets";
import { hashToken } from "../tokens/format";
import { hashMatches, isTokenLive, needsTouch, touchToken } from "../tokens/registry";
import { isJobId } from "./jobs";

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

function denyReason(row: Row, now: Date): DenyReason | null {
  if (row.job_status !== "running") return "job_not_running";
  if (!row.job_expires_at || row.job_expires_at <= now) return "job_expired";
  if (!row.owner_user_id || !row.owner_exists) return "owner_gone";
  if (!row.member) return "membership_gone";
  if (row.grants.some((g) => g.secretId === null || g.box === null)) return "secret_deleted";
  return null;
}

/**
 * Serves the credentials of `jobId` to the bearer of `token`. 401 (`invalid_token`) when the token is not a
 * live job token of this job; the one 403 for every reason to deny; every authenticated call is audited and
 * nothing is served unless its `credentials.served` record committed.
 */
export async function serveCredentials({ token, jobId, ip }: { token: string; jobId: string; ip?: string | null }): Promise<Credential[]> {
  if (!isJobId(jobId)) throw new AppError("invalid_token");
  const hash = hashToken(token);
  const keys = getConfig().masterKeys;

  const decision = await db.$transaction(async (tx): Promise<Decision> => {
    const rows = await tx.$queryRaw<Row[]>`
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
      WHERE t.hash = ${hash}
      FOR SHARE OF t`;
    const row = rows[0];
    const now = new Date();
    if (
      !row ||
      row.kind !== "job" ||
      !hashMatches(row.hash, hash) ||
      !isTokenLive({ expiresAt: row.token_expires_at, revokedAt: row.revoked_at, graceUntil: row.grace_until }, now) ||
      row.token_job_id !== jobId ||
      row.job_id !== jobId
    ) {
      throw new AppError("invalid_token");
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
        if (!(err instanceof DecryptError)) throw err;
        log.warn({ jobId, reason: err.reason }, "a granted secret could not be decrypted");
        denied = "decrypt_failed";
      }
    }

    const actor = { type: "job" as const, id: jobId };
    if (denied) {
      await appendAuditEvent(
        { workspaceId: row.workspace_id, actor, action: "credentials.denied", target: `job:${jobId}`, ip, data: { tokenId: row.token_id, reason: denied } },
        tx,
      );
      return { denied, row };
    }
    await appendAuditEvent(
      {
        workspaceId: row.workspace_id,
        actor,
        action: "credentials.served",
        target: `job:${jobId}`,
        ip,
        data: { tokenId: row.token_id, secrets: row.grants.map((g) => g.secretName), envVars: row.grants.map((g) => g.envVar) },
      },
      tx,
    );
    return { served, row };
  });

  const now = new Date();
  if (needsTouch(decision.row.token_last_used_at, now)) touchToken(decision.row.token_id, now);
  if ("denied" in decision) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
  const stale = decision.row.grants.filter((g) => needsTouch(g.lastUsedAt ? new Date(g.lastUsedAt) : null, now)).map((g) => g.secretId!);
  if (stale.length) recordSecretsUsed({ workspaceId: decision.row.workspace_id, userId: decision.row.owner_user_id!, ids: stale, now });
  return decision.served;
}
