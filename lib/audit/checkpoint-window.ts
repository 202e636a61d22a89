// Before a checkpoint is signed, the rows since the previous one are re-hashed (SPEC §8): someone with write access
// to the database could otherwise rewrite and re-chain the unsigned window, and the next signature would vouch for
// the forgery. Runs under the workspace's audit lock, only when an append crosses a multiple of
// AUDIT_CHECKPOINT_EVERY or the sweep signs a head, and reads only the rows after the last stored checkpoint.
import "server-only";
import type { Tx } from "../db/client";
import type { SqlConnection } from "../db/sql";
import { ChainCheck, judgeCheckpoint, type CheckpointProblem, type StoredEvent, type Verifier } from "./chain-check";
import { STORED_EVENT_COLUMNS } from "./verify";

/** The two ways our transactions talk to Postgres: Prisma's interactive transaction, or the group commit's script. */
export type SqlRunner = { rows: (sql: string) => Promise<Record<string, unknown>[]>; exec: (sql: string) => Promise<void> };

export function prismaRunner(tx: Tx): SqlRunner {
  return {
    rows: (sql) => tx.$queryRawUnsafe<Record<string, unknown>[]>(sql),
    exec: async (sql) => {
      await tx.$executeRawUnsafe(sql);
    },
  };
}

export function scriptRunner(conn: SqlConnection): SqlRunner {
  return {
    rows: async (sql) => (await conn.script(sql))[0] ?? [],
    exec: async (sql) => {
      await conn.script(sql);
    },
  };
}

export type WindowVerdict =
  | { ok: true; from: number; rows: number }
  /** The last stored checkpoint does not name its event's stored hash or does not verify; or the rows after it do not recompute. */
  | { ok: false; reason: CheckpointProblem | "chain_broken"; seq: number };

const PAGE = 1000;

/**
 * Re-hashes the stored rows after the last stored checkpoint (from seq 1 without one) up to `head`, the stored chain
 * end read under the lock, and checks that checkpoint first. `workspaceId` must be a checked uuid.
 */
export async function checkSinceLastCheckpoint(
  runner: SqlRunner,
  { workspaceId, head, verifier }: { workspaceId: string; head: { seq: number; hash: string } | null; verifier: Verifier },
): Promise<WindowVerdict> {
  const [base] = (await runner.rows(`
    SELECT c.workspace_id::text AS "workspaceId", c.seq, c.hash, c.signature, c.key_id AS "keyId", e.hash AS "eventHash"
    FROM audit_checkpoints c LEFT JOIN audit_events e ON e.workspace_id = c.workspace_id AND e.seq = c.seq
    WHERE c.workspace_id = '${workspaceId}' ORDER BY c.seq DESC LIMIT 1`)) as ({ workspaceId: string; seq: number; hash: string; signature: string; keyId: string; eventHash: string | null } | undefined)[];
  if (base) {
    const problem = judgeCheckpoint(verifier, workspaceId, base, base.eventHash);
    if (problem) return { ok: false, reason: problem, seq: base.seq };
  }
  const from = base ? base.seq : 0;
  const upTo = head?.seq ?? 0;
  if (upTo < from) return { ok: false, reason: "checkpoint_out_of_place", seq: from };
  const check = new ChainCheck(workspaceId, null, base ? { seq: base.seq, hash: base.hash } : undefined);
  walk: for (let after = from; after < upTo; after += PAGE) {
    const rows = (await runner.rows(
      `SELECT ${STORED_EVENT_COLUMNS} FROM audit_events
       WHERE workspace_id = '${workspaceId}' AND seq > ${after} AND seq <= ${Math.min(after + PAGE, upTo)} ORDER BY seq`,
    )) as StoredEvent[];
    for (const row of rows) if (!check.addEvent(row)) break walk;
  }
  const r = check.result();
  if (r.chainBrokenAt !== undefined) return { ok: false, reason: "chain_broken", seq: r.chainBrokenAt };
  // Rows missing at the end, or a head that is not what the walk recomputed.
  if (r.lastSeq !== upTo || (head && r.lastHash !== head.hash)) return { ok: false, reason: "chain_broken", seq: r.lastSeq + 1 };
  return { ok: true, from: from + 1, rows: r.events };
}
