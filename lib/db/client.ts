import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/generated/prisma/client";
import { getConfig } from "../config";
import { lazyObject } from "../lazy";
import { log } from "../log";

function createPool(url: string) {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Also bounds the wait for a free pool slot; an unreachable server is refused long before this.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    // A server that silently stops answering (partition, failover) must still fail the query, so callers get
    // a 503 instead of hanging until the kernel gives up on the socket.
    query_timeout: 12_000,
    keepAlive: true,
    // Hand-written SQL quotes strings with escapeLiteral, which is only safe in UTF-8.
    options: "-c client_encoding=UTF8",
  });
  pool.on("error", (err) => log.warn({ err }, "postgres pool error"));
  return pool;
}

function createClient(pool: pg.Pool) {
  const adapter = new PrismaPg(pool);
  // Sensitive columns are never selected unless a query asks for them explicitly.
  const client = new PrismaClient({
    adapter,
    // The test suite inspects every statement (e.g. that no secret is looked up without its owner).
    log: process.env.NODE_ENV === "test" ? [{ emit: "event", level: "query" }] : [],
    // A transaction may wait for a pool slot as long as a plain query may (connectionTimeoutMillis above);
    // Prisma's 2 s default turned bursts of serialised audit appends into spurious 503s.
    transactionOptions: { maxWait: 5000, timeout: 10_000 },
    omit: { secret: { ciphertext: true }, token: { hash: true }, invite: { codeHash: true } },
  });
  if (process.env.NODE_ENV === "test") {
    (client as unknown as { $on(event: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) => {
      for (const listener of queryListeners) listener(e.query);
    });
  }
  return client;
}

const queryListeners = new Set<(sql: string) => void>();

/** Test hook: every SQL statement the client sends (only wired up when NODE_ENV=test). */
export function onDbQuery(listener: (sql: string) => void): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

export type Db = ReturnType<typeof createClient>;
// What an interactive transaction callback receives; `db` itself also satisfies it.
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

const globalForDb = globalThis as unknown as { gatehouseDb?: Db; gatehousePool?: pg.Pool };
// The pg pool under the current client: Prisma and the hand-written SQL below share its connections.
const pools = new WeakMap<Db, pg.Pool>();
let currentPool: pg.Pool | undefined;

// Cached on globalThis outside production so dev hot reloads do not open a new pool each time.
export const db: Db = lazyObject(() => {
  if (globalForDb.gatehouseDb && globalForDb.gatehousePool) {
    currentPool = globalForDb.gatehousePool;
    return globalForDb.gatehouseDb;
  }
  const pool = createPool(getConfig().databaseUrl);
  const client = createClient(pool);
  pools.set(client, pool);
  currentPool = pool;
  if (!getConfig().production) {
    globalForDb.gatehouseDb = client;
    globalForDb.gatehousePool = pool;
  }
  return client;
}, async (client) => {
  const pool = pools.get(client);
  if (globalForDb.gatehouseDb === client) {
    globalForDb.gatehouseDb = undefined;
    globalForDb.gatehousePool = undefined;
  }
  if (currentPool === pool) currentPool = undefined;
  await client.$disconnect();
  if (pool && !pool.ended) await pool.end();
});

function dbPool(): pg.Pool {
  if (!currentPool) void db.$connect; // touching the client creates it, and its pool
  return currentPool!;
}

function report(text: string) {
  for (const listener of queryListeners) listener(text);
}

export type SqlConnection = {
  /** Several statements in one round trip (simple protocol: no parameters); one result per statement. */
  script: (text: string) => Promise<pg.QueryResultRow[][]>;
  /** `script` with COMMIT appended, so the last statements and the commit share one round trip. */
  scriptAndCommit: (text: string) => Promise<pg.QueryResultRow[][]>;
};

/**
 * A transaction of hand-written SQL on the pool under `db`, for the hot path where Prisma's cost per statement
 * and round trip shows (the audit group commit behind the worker credentials endpoint, SPEC §11). BEGIN
 * travels with the first script; COMMIT when `fn` returns (unless it committed with scriptAndCommit), ROLLBACK
 * when it throws. Errors are pg's own; lib/http maps the unreachable ones to 503 like Prisma's.
 */
export async function sqlTransaction<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T> {
  const client = await dbPool().connect();
  // pg-pool drops its own listener while a client is checked out: without ours, a backend killed between two
  // scripts would be an unhandled 'error' event. Its error (with the 08xxx/57Pxx code) is what callers get.
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
      report(full);
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
      report("COMMIT");
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
