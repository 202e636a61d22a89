// Every audited change (secret deleted, member removed, job ended, a connection refreshed, disconnected or marked
// needs_reconnect) commits under its workspace's audit lock, so this read, taken after the locks, sees all that
// returned before the batch records anything.
import "server-only";
import { lockChainsSql, chainEnds, type ChainEnds } from "../audit/group-commit";
import type { SqlConnection } from "../db/sql";
import type { JobStatus } from "./status";

export type CredentialRow = {
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
  job_status: JobStatus | null;
  job_expires_at: Date | null;
  owner_user_id: string | null;
  owner_exists: boolean;
  member: boolean;
  grants: { envVar: string; secretName: string; secretId: string | null; box: string | null; lastUsedAt: string | null }[];
  /** connectionId, status and box are null once the connection is gone (deleted, or never the owner's). */
  connection_grants: ConnectionGrantRow[];
};

export type ConnectionGrantRow = {
  envVar: string;
  kind: "connection" | "mcp";
  ref: string;
  connectionId: string | null;
  status: string | null;
  box: string | null;
  expiresAt: string | null;
  obtainedAt: string | null;
  version: number | null;
};

export const tokenHashHex = (hash: Uint8Array) => Buffer.from(hash).toString("hex");

/** The hashes are our own SHA-256 digests, so they may be written into the script as hex. */
export async function readCredentialRows(conn: SqlConnection, tokenHashes: Uint8Array[]): Promise<{ rows: Map<string, CredentialRow>; ends: ChainEnds }> {
  const hashes = [...new Set(tokenHashes.map(tokenHashHex))].sort();
  const byHash = `t.hash IN (${hashes.map((h) => `decode('${h}', 'hex')`).join(", ")})`;
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
           ), '[]'::json) AS grants,
           COALESCE((
             SELECT json_agg(json_build_object(
                      'envVar', cg.env_var, 'kind', cg.kind, 'ref', cg.ref, 'connectionId', c.id, 'status', c.status,
                      'box', encode(c.tokens, 'base64'), 'expiresAt', c.access_expires_at, 'obtainedAt', c.obtained_at,
                      'version', c.version) ORDER BY cg.env_var)
             FROM job_connection_grants cg
             LEFT JOIN connections c ON c.id = cg.connection_id AND c.workspace_id = j.workspace_id AND c.user_id = j.owner_user_id
             WHERE cg.job_id = j.id AND cg.workspace_id = j.workspace_id AND cg.owner_user_id = j.owner_user_id
           ), '[]'::json) AS connection_grants
    FROM tokens t
    LEFT JOIN jobs j ON j.id = t.job_id AND j.workspace_id = t.workspace_id
    WHERE ${byHash}`);
  const rows = new Map((results[results.length - 1] as CredentialRow[]).map((r) => [tokenHashHex(r.hash), r]));
  return { rows, ends: chainEnds(results[results.length - 2]!) };
}
