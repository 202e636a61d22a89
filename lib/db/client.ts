import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/generated/prisma/client";
import { getConfig, isTestRun } from "../config";
import { lazyObject } from "../lazy";
import { log } from "../log";

function createPool(url: string) {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Also bounds the wait for a free pool slot; an unreachable server is refused long before this.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // No startup parameters beyond user and database, and no session state (SPEC §14): pgbouncer in transaction
    // mode refuses `statement_timeout` and `options`, and would hand a SET to whichever client got the server next.
    // The statement timeout (10 s) and client_encoding (UTF8, which escapeLiteral relies on; node-postgres never
    // sends it at startup) are the database's own defaults, set by a migration
    // (prisma/migrations/20261205000000_session_defaults) and checked by lib/db/pooling.test.ts.
    // A server that silently stops answering (partition, failover) must fail the query (503), not hang.
    query_timeout: 12_000,
    keepAlive: true,
  });
  pool.on("error", (err) => log.warn({ err }, "postgres pool error"));
  return pool;
}

function createClient(pool: pg.Pool) {
  // No statementNameGenerator: every statement is unnamed, so none outlives its transaction on a pooled server.
  const adapter = new PrismaPg(pool);
  // `omit`: sensitive columns are never selected by accident.
  const client = new PrismaClient({
    adapter,
    // Tests inspect every statement (e.g. that no secret is looked up without its owner).
    log: isTestRun() ? [{ emit: "event", level: "query" }] : [],
    // Prisma's 2 s default maxWait turned bursts of serialised audit appends into spurious 503s.
    transactionOptions: { maxWait: 5000, timeout: 10_000 },
    omit: { secret: { ciphertext: true }, token: { hash: true }, invite: { codeHash: true }, provider: { clientSecret: true }, connection: { tokens: true }, mcpClient: { clientSecret: true } },
  });
  if (isTestRun()) {
    (client as unknown as { $on(event: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) => {
      for (const listener of queryListeners) listener(e.query);
    });
  }
  return client;
}

const queryListeners = new Set<(sql: string) => void>();

/** Only wired up when NODE_ENV=test. */
export function onDbQuery(listener: (sql: string) => void): () => void {
  queryListeners.add(listener);
  return () => queryListeners.delete(listener);
}

export function reportQuery(text: string) {
  for (const listener of queryListeners) listener(text);
}

export type Db = ReturnType<typeof createClient>;
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

const globalForDb = globalThis as unknown as { gatehouseDb?: Db; gatehousePool?: pg.Pool };
// Prisma and the hand-written SQL share the pool's connections.
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

export function dbPool(): pg.Pool {
  if (!currentPool) void db.$connect; // touching the client creates it, and its pool
  return currentPool!;
}

