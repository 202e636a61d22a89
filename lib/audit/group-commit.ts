// Audit appends on the hot path (SPEC §11): requests arriving during a batch share the next one's transaction and
// lock hold. Each caller resolves only after COMMIT, so nothing is served unless its audit row committed.
import "server-only";
import { escapeLiteral } from "pg";
import { auditLocksSql } from "../db/locks";
import { isUuid, sqlTransaction, type SqlConnection } from "../db/sql";
import { AppError } from "../errors";
import { chainEvents, type AppendedEvent, type AuditEventInput, type ChainedRow } from "./append";
import { checkpointInsertSql, dueCheckpoints, signDueCheckpoints } from "./checkpoint";
import { scriptRunner } from "./checkpoint-window";
import type { SignedClaim } from "./signing";

const MAX_BATCH = 100;
// Past these, callers get 503 rather than wait without end behind a stuck database. The cap is per lane, so a
// lane that fills (a flood of unknown tokens, one workspace's storm) refuses only its own callers.
const MAX_WAITING_PER_LANE = 1000;
const DEADLINE_MS = 15_000;
// Deadlock or serialisation failure: the whole batch rolled back, so it can simply run again.
const RETRYABLE = new Set(["40P01", "40001"]);
const ATTEMPTS = 3;

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };
/** One outcome per item, in order; throwing fails every item. */
export type BatchRun<I, O> = (conn: SqlConnection, items: I[]) => Promise<Outcome<O>[]>;

type Waiter<I, O> = { item: I; resolve: (value: O) => void; reject: (err: unknown) => void };
/** Lanes in round-robin order; an emptied lane is dropped, so a new one joins at the back. */
type Queue<I, O> = { lanes: Map<string, Waiter<I, O>[]>; busy: boolean };

/** Round-robin, one waiter per lane per turn: n busy lanes each get at least ⌊MAX_BATCH / n⌋ of every batch. */
function takeBatch<I, O>(queue: Queue<I, O>): Waiter<I, O>[] {
  const batch: Waiter<I, O>[] = [];
  const order = [...queue.lanes.keys()];
  while (batch.length < MAX_BATCH && queue.lanes.size) {
    for (const lane of order) {
      const waiting = queue.lanes.get(lane);
      if (!waiting) continue;
      batch.push(waiting.shift()!);
      if (!waiting.length) queue.lanes.delete(lane);
      if (batch.length === MAX_BATCH) break;
    }
  }
  // The lane served first this time goes to the back, so no lane is always at the head of the batch.
  const first = order[0];
  const rest = first === undefined ? undefined : queue.lanes.get(first);
  if (first !== undefined && rest) {
    queue.lanes.delete(first);
    queue.lanes.set(first, rest);
  }
  return batch;
}

// One batch per key at a time: a second in flight only waits on the same locks, and measured slower (npm run bench).
export function createGroupCommit<I, O>(
  run: BatchRun<I, O>,
  { deadlineMs = DEADLINE_MS, maxWaiting = MAX_WAITING_PER_LANE }: { deadlineMs?: number; maxWaiting?: number } = {},
): (key: string, item: I, lane?: string) => Promise<O> {
  const queues = new Map<string, Queue<I, O>>();

  async function drain(key: string, queue: Queue<I, O>) {
    queue.busy = true;
    try {
      while (queue.lanes.size) await settle(takeBatch(queue));
    } finally {
      queue.busy = false;
      if (queue.lanes.size) void drain(key, queue);
      else queues.delete(key);
    }
  }

  async function settle(batch: Waiter<I, O>[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await sqlTransaction((conn) => run(conn, batch.map((w) => w.item)));
        batch.forEach((w, i) => {
          const outcome = outcomes[i];
          if (outcome?.ok) w.resolve(outcome.value);
          else w.reject(outcome ? outcome.error : new Error("group commit: no outcome for an item"));
        });
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof code === "string" && RETRYABLE.has(code)) continue;
        // statement_timeout on a lock wait, or every retry lost to deadlocks: overloaded, not broken → 503.
        const failure = code === "57014" || (typeof code === "string" && RETRYABLE.has(code)) ? new AppError("unavailable") : err;
        for (const w of batch) w.reject(failure);
        return;
      }
    }
  }

  return (key, item, lane = "") =>
    new Promise<O>((resolve, reject) => {
      let queue = queues.get(key);
      if (!queue) {
        queue = { lanes: new Map(), busy: false };
        queues.set(key, queue);
      }
      let waiting = queue.lanes.get(lane);
      if (!waiting) {
        waiting = [];
        queue.lanes.set(lane, waiting);
      }
      if (waiting.length >= maxWaiting) {
        reject(new AppError("unavailable"));
        return;
      }
      // Past the deadline the caller gets 503; if its batch commits later, the record stays and nothing was served.
      const timer = setTimeout(() => reject(new AppError("unavailable")), deadlineMs);
      timer.unref?.();
      waiting.push({
        item,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      if (!queue.busy) void drain(key, queue);
    });
}

// Goes in the batch's first script after any FOR SHARE reads (lock order, lib/db/locks.ts). A separate statement,
// so the chain-end read takes its snapshot after the locks are granted.
export function lockChainsSql(workspacesSql: string): string {
  return `
    ${auditLocksSql(workspacesSql)}
    SELECT w.id::text AS workspace_id, e.seq, e.hash
    FROM (SELECT DISTINCT id FROM (${workspacesSql}) x) w
    LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events a WHERE a.workspace_id = w.id ORDER BY seq DESC LIMIT 1) e ON true;`;
}

export type ChainEnds = Map<string, AppendedEvent | null>;

export function chainEnds(rows: Record<string, unknown>[]): ChainEnds {
  return new Map(rows.map((r) => [String(r.workspace_id), r.seq == null ? null : { seq: Number(r.seq), hash: String(r.hash) }]));
}

// Scripts take no parameters: ids are checked uuids, numbers are ours, every string goes through escapeLiteral.
// Async only when the batch crosses a multiple of AUDIT_CHECKPOINT_EVERY: then the rows since the last checkpoint
// are re-hashed in the batch's transaction first (a savepoint, so a refusal or an error there never fails it).
export async function chainInsert(conn: SqlConnection, ends: ChainEnds, events: AuditEventInput[]): Promise<{ sql: string; appended: AppendedEvent[] }> {
  const byWorkspace = new Map<string, number[]>();
  events.forEach((e, i) => byWorkspace.set(e.workspaceId, [...(byWorkspace.get(e.workspaceId) ?? []), i]));
  const rows: ChainedRow[] = [];
  const appended: AppendedEvent[] = new Array(events.length);
  const checkpoints: SignedClaim[] = [];
  for (const [workspaceId, indexes] of byWorkspace) {
    if (!isUuid(workspaceId) || !ends.has(workspaceId)) throw new Error(`audit group commit: workspace ${workspaceId} is not locked`);
    const head = ends.get(workspaceId) ?? null;
    const chained = chainEvents(workspaceId, head, indexes.map((i) => events[i]!));
    chained.forEach((row, k) => {
      appended[indexes[k]!] = { seq: row.seq, hash: row.hash };
      rows.push(row);
    });
    const due = dueCheckpoints(chained);
    if (due.length) checkpoints.push(...(await signDueCheckpoints(scriptRunner(conn), { workspaceId, head, due })));
  }
  const literal = (v: string | null) => (v === null ? "NULL" : escapeLiteral(v));
  const values = rows.map(
    (r) =>
      `('${r.workspaceId}', ${Math.trunc(r.seq)}, ${literal(r.createdAt.toISOString())}, ${literal(r.actorType)}, ${literal(r.actorId)}, ` +
      `${literal(r.action)}, ${literal(r.target)}, ${literal(r.ip)}, ${literal(JSON.stringify(r.data))}, ${literal(r.prevHash)}, ${literal(r.hash)})`,
  );
  const sql = `INSERT INTO audit_events (workspace_id, seq, created_at, actor_type, actor_id, action, target, ip, data, prev_hash, hash)
     VALUES ${values.join(",\n")}${checkpoints.length ? `;\n${checkpointInsertSql(checkpoints)}` : ""}`;
  return { sql, appended };
}
