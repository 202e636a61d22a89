// The worker's credentials (SPEC §6), in audit group-commit batches: constant round trips whatever the number of
// grants or requests, and nothing is returned before the batch committed.
import "server-only";
import { chainInsert, createGroupCommit, type Outcome } from "../audit/group-commit";
import { getConfig } from "../config";
import { refreshConnection } from "../connections/refresh";
import { mcpRefresher } from "../mcp";
import type { SqlConnection } from "../db/sql";
import { AppError } from "../errors";
import { recordSecretsUsed } from "../secrets/store";
import { hashToken } from "../tokens/format";
import { healTokenLane, rememberDeadToken, UNKNOWN_LANE } from "../tokens/lanes";
import { needsTouch, touchToken } from "../tokens/registry";
import { decide, type Credential, type CredentialRequest, type Decision, type RefreshNeed } from "./credentials-decide";
import { readCredentialRows, tokenHashHex } from "./credentials-sql";
import { isJobId } from "./ids";

export type { Credential };

export const CREDENTIALS_DENIED_MESSAGE = "This job may not receive credentials.";

/** Two round trips: the read, then every decision's INSERT with the COMMIT. */
async function serveBatch(conn: SqlConnection, requests: CredentialRequest[]): Promise<Outcome<Decision>[]> {
  const { rows, ends } = await readCredentialRows(conn, requests.map((r) => r.hash));
  const keys = getConfig().masterKeys;
  const now = new Date();
  const decided = requests.map((r) => decide(r, rows.get(tokenHashHex(r.hash)), keys, now));
  const events = decided.flatMap((d) => (d.event ? [d.event] : []));
  if (events.length) await conn.scriptAndCommit((await chainInsert(conn, ends, events)).sql);
  return decided.map((d) => d.outcome);
}

const submit = createGroupCommit(serveBatch);

// Not a version any row has: a due token whose refresh ended without one is never served on the second pass.
const NO_VERSION = 0;

/** Each due connection refreshed (single-flight, lib/connections/refresh.ts), outside any batch and its locks. */
async function refreshDue(needs: RefreshNeed[], jobId: string): Promise<Map<string, number>> {
  const results = await Promise.all(
    needs.map(async (n) => {
      const result = await refreshConnection({ workspaceId: n.workspaceId, userId: n.userId, connectionId: n.connectionId, seenVersion: n.version, actor: { type: "job", id: jobId }, mcp: mcpRefresher });
      return [n.connectionId, result.outcome === "ok" ? result.version : NO_VERSION] as const;
    }),
  );
  return new Map(results);
}

/** 401 unless a live token of this job; one 403 for every reason to deny. */
/** `lane` is the queue the request waits in (lib/tokens/lanes.ts): fairness only, the batch authenticates. */
export async function serveCredentials({ token, jobId, ip, lane = UNKNOWN_LANE }: { token: string; jobId: string; ip?: string | null; lane?: string }): Promise<Credential[]> {
  if (!isJobId(jobId)) throw new AppError("invalid_token");
  const hash = hashToken(token);
  const once = (refreshed?: Map<string, number>) =>
    submit("credentials", { hash, jobId, ip, refreshed }, lane).catch(async (err: unknown) => {
      if (err instanceof AppError && err.reason === "token_dead") await rememberDeadToken(token);
      throw err;
    });
  let decision = await once();
  // A granted connection is due: the first pass recorded nothing; refresh, then decide once more (and only once).
  if ("refresh" in decision) decision = await once(await refreshDue(decision.refresh, jobId));
  if ("refresh" in decision) throw new AppError("unavailable");

  await healTokenLane(token, lane, decision.row.workspace_id, decision.row.token_expires_at);
  const now = new Date();
  if (needsTouch(decision.row.token_last_used_at, now)) touchToken(decision.row.token_id, now);
  if ("denied" in decision) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
  const stale = decision.row.grants.filter((g) => needsTouch(g.lastUsedAt ? new Date(g.lastUsedAt) : null, now)).map((g) => g.secretId!);
  if (stale.length) recordSecretsUsed({ workspaceId: decision.row.workspace_id, userId: decision.row.owner_user_id!, ids: stale, now });
  return decision.served;
}
