// Audit export (SPEC §9, §13) as chunks of text read a keyset page at a time, so memory stays flat for any size.
// NDJSON is the verifiable format (`gatehouse audit verify --file`): a header line, every event with all it is
// hashed from, each checkpoint right after the event it signs, and a footer with the counts. CSV is for
// spreadsheets: cells a spreadsheet would run as a formula are prefixed with ', so it cannot be re-hashed.
import "server-only";
import { db, dbPool } from "../db/client";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import { checkFilters, filterText, isFiltered, type AuditFilters } from "./filters";

export const EXPORT_FORMAT = "gatehouse-audit-export";
export const EXPORT_VERSION = 1;
const PAGE = 1000;

type Row = {
  seq: number;
  createdAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
};

type CheckpointRow = { seq: number; hash: string; signature: string; keyId: string; createdAt: Date };

export type ExportInput = { workspaceId: string; format: "ndjson" | "csv"; filters?: AuditFilters; pageSize?: number };

/** Events up to the head at the start (later appends are left for the next export); throws before the first chunk. */
export async function* exportAudit({ workspaceId, format, filters = {}, pageSize = PAGE }: ExportInput): AsyncGenerator<string> {
  if (format !== "ndjson" && format !== "csv") throw new AppError("validation_failed", 'The export format must be "ndjson" or "csv".');
  const checked = checkFilters(filters);
  const filtered = isFiltered(checked);
  if (!isUuid(workspaceId) || !(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
    throw new AppError("not_found", "No such workspace.");
  }
  const [head] = await db.$queryRaw<{ seq: number | null }[]>`SELECT max(seq) AS seq FROM audit_events WHERE workspace_id = ${workspaceId}::uuid`;
  const last = head?.seq ?? 0;
  const ndjson = format === "ndjson";
  const where = filterText(checked, 4);
  yield ndjson
    ? `${JSON.stringify({ type: "header", format: EXPORT_FORMAT, version: EXPORT_VERSION, workspaceId, exportedAt: new Date().toISOString(), filtered, ...(filtered ? { filters: checked } : {}) })}\n`
    : `${CSV_COLUMNS.join(",")}\r\n`;

  let events = 0;
  let checkpoints = 0;
  // Windows of pageSize seqs (seq has no gaps): each query reads at most that many rows, filtered or not.
  for (let after = 0; after < last; after += pageSize) {
    const upTo = Math.min(after + pageSize, last);
    const { rows } = await dbPool().query<Row>(
      `SELECT seq, created_at AS "createdAt", actor_type::text AS "actorType", actor_id AS "actorId", action, target, ip, data,
              prev_hash AS "prevHash", hash
       FROM audit_events
       WHERE workspace_id = $1 AND seq > $2 AND seq <= $3${where.sql}
       ORDER BY seq`,
      [workspaceId, after, upTo, ...where.values],
    );
    if (!rows.length) continue;
    // A filtered export is not a chain, so it carries no checkpoints.
    const signed = ndjson && !filtered ? await checkpointsBetween(workspaceId, after, upTo) : new Map<number, CheckpointRow>();
    let chunk = "";
    for (const row of rows) {
      chunk += ndjson ? `${JSON.stringify(eventLine(workspaceId, row))}\n` : csvLine(workspaceId, row);
      const cp = signed.get(row.seq);
      if (cp) {
        chunk += `${JSON.stringify({ type: "checkpoint", workspaceId, seq: cp.seq, hash: cp.hash, signature: cp.signature, keyId: cp.keyId, createdAt: cp.createdAt.toISOString() })}\n`;
        checkpoints += 1;
      }
    }
    events += rows.length;
    yield chunk;
  }
  if (ndjson) yield `${JSON.stringify({ type: "footer", events, checkpoints, lastSeq: filtered ? null : last })}\n`;
}

async function checkpointsBetween(workspaceId: string, after: number, upTo: number): Promise<Map<number, CheckpointRow>> {
  const rows = await db.auditCheckpoint.findMany({
    where: { workspaceId, seq: { gt: after, lte: upTo } },
    orderBy: { seq: "asc" },
    select: { seq: true, hash: true, signature: true, keyId: true, createdAt: true },
  });
  return new Map(rows.map((r) => [r.seq, r]));
}

/** Exactly what lib/audit/canonical.ts hashes, plus the links of the chain. */
function eventLine(workspaceId: string, r: Row) {
  return {
    type: "event",
    workspaceId,
    seq: r.seq,
    time: r.createdAt.toISOString(),
    actor: { type: r.actorType, id: r.actorId },
    action: r.action,
    target: r.target,
    ip: r.ip,
    data: r.data,
    prevHash: r.prevHash,
    hash: r.hash,
  };
}

export const CSV_COLUMNS = ["workspace_id", "seq", "time", "actor_type", "actor_id", "action", "target", "ip", "data", "prev_hash", "hash"];

/** RFC 4180: every cell quoted, quotes doubled, CRLF rows; a leading = + - @ tab or CR is defused with '. */
export function csvCell(value: string | number | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

function csvLine(workspaceId: string, r: Row): string {
  const cells = [workspaceId, r.seq, r.createdAt.toISOString(), r.actorType, r.actorId, r.action, r.target, r.ip, JSON.stringify(r.data), r.prevHash, r.hash];
  return `${cells.map(csvCell).join(",")}\r\n`;
}
