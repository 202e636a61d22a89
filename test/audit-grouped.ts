// Plain audit appends through the group commit, for testing its machinery (lib/audit/group-commit.ts) apart
// from the credentials batch, its one production user. With `liveTokenId` an event is recorded only while
// that token is live, read FOR SHARE in the same transaction.
import { chainEnds, chainInsert, createGroupCommit, lockChainsSql, type Outcome } from "@/lib/audit/group-commit";
import type { AppendedEvent, AuditEventInput } from "@/lib/audit/append";
import { isUuid, type SqlConnection } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { liveTokenSql } from "@/lib/tokens/liveness";

type Append = { input: AuditEventInput; liveTokenId?: string };

async function appendBatch(conn: SqlConnection, items: Append[]): Promise<Outcome<AppendedEvent>[]> {
  const workspaceId = items[0]!.input.workspaceId;
  const tokenIds = [...new Set(items.flatMap((a) => (a.liveTokenId ? [a.liveTokenId] : [])))].sort();
  const tokensSql = tokenIds.length
    ? `SELECT id::text AS id FROM tokens WHERE id IN (${tokenIds.map((id) => `'${id}'`).join(", ")}) AND ${liveTokenSql("tokens")} ORDER BY id FOR SHARE;`
    : "SELECT NULL::text AS id WHERE false;";
  const results = await conn.script(`${tokensSql}${lockChainsSql(`SELECT '${workspaceId}'::uuid AS id`)}`);
  const live = new Set(results[0]!.map((r) => r.id as string));
  const accepted = items.filter((a) => !a.liveTokenId || live.has(a.liveTokenId));
  const ends = chainEnds(results[results.length - 1]!);
  if (accepted.length === 0) return items.map(() => ({ ok: false, error: new AppError("invalid_token") }));
  const { sql, appended } = await chainInsert(conn, ends, accepted.map((a) => a.input));
  await conn.scriptAndCommit(sql);
  const byItem = new Map(accepted.map((a, i) => [a, appended[i]!]));
  return items.map((a) => {
    const event = byItem.get(a);
    return event ? { ok: true, value: event } : { ok: false, error: new AppError("invalid_token") };
  });
}

const submitAppend = createGroupCommit(appendBatch);

export function appendAuditEventGrouped(input: AuditEventInput, opts: { liveTokenId?: string } = {}): Promise<AppendedEvent> {
  const ids = [input.workspaceId, ...(opts.liveTokenId ? [opts.liveTokenId] : [])];
  if (!ids.every(isUuid)) return Promise.reject(new Error("appendAuditEventGrouped: workspace and token ids must be lower-case uuids"));
  return submitAppend(input.workspaceId, { input, liveTokenId: opts.liveTokenId });
}
