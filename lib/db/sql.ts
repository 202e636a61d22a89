import "server-only";
import type pg from "pg";
import { z } from "zod";
import { dbPool, reportQuery } from "./client";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A canonical lower-case uuid: the only ids that may be written into SQL text or looked up by id. */
export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** `isUuid` for records read back from Redis. */
export const uuidSchema = z.string().refine(isUuid, "must be a lower-case uuid");

export type SqlConnection = {
  /** Several statements in one round trip (simple protocol: no parameters); one result per statement. */
  script: (text: string) => Promise<pg.QueryResultRow[][]>;
  /** `script` with COMMIT appended, so the last statements and the commit share one round trip. */
  scriptAndCommit: (text: string) => Promise<pg.QueryResultRow[][]>;
};

/** Hand-written SQL for the hot path where Prisma's per-statement cost shows (SPEC §11); errors are pg's own. */
export async function sqlTransaction<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
  const client = await dbPool().connect();
  // pg-pool drops its own 'error' listener while a client is checked out: without ours, a killed backend is unhandled.
  let connectionError: Error | undefined;
  const onError = (err: Error) => {
    connectionError ??= err;
  };
  client.on("error", onError);
  let open = false;
  let committed = false;
  const run = async (text: string) => {
    if (connectionError) throw connectionError;
    try {
      return (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
    } catch (err) {
      throw connectionError ?? err;
    }
  };
  const conn: SqlConnection = {
    script: async (text: string) => {
      const withBegin = !open;
      open = true;
      // Explicit: the chain-end reads rely on each statement seeing what committed before it started.
      const full = withBegin ? `BEGIN ISOLATION LEVEL READ COMMITTED;\n${text}` : text;
      reportQuery(full);
      const results = await run(full);
      return (Array.isArray(results) ? results : [results]).slice(withBegin ? 1 : 0).map((r) => r.rows);
    },
    scriptAndCommit: async (text: string) => {
      // An error in `text` skips the COMMIT (the rest of a simple query is not run); the catch below rolls back.
      const results = await conn.script(`${text};\nCOMMIT`);
      committed = true;
      return results.slice(0, -1);
    },
  };
  let broken: Error | undefined;
  try {
    const result = await fn(conn);
    if (open && !committed) {
      reportQuery("COMMIT");
      await run("COMMIT");
    }
    return result;
  } catch (err) {
    if (connectionError) broken = connectionError;
    else if (open && !committed) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        // The connection is unusable (e.g. the server went away): the pool must drop it, not reuse it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
    }
    throw err;
  } finally {
    client.removeListener("error", onError);
    client.release(broken ?? connectionError);
  }
}
