import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@/generated/prisma/client";
import { getConfig } from "./config";
import { lazyObject } from "./lazy";
import { log } from "./log";

function createClient(url: string) {
  const adapter = new PrismaPg(
    {
      connectionString: url,
      max: 10,
      // Also bounds the wait for a free pool slot; an unreachable server is refused long before this.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 10_000,
    },
    { onPoolError: (err) => log.warn({ err }, "postgres pool error") },
  );
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

const globalForDb = globalThis as unknown as { gatehouseDb?: Db };

// Cached on globalThis outside production so dev hot reloads do not open a new pool each time.
export const db: Db = lazyObject(() => {
  if (globalForDb.gatehouseDb) return globalForDb.gatehouseDb;
  const client = createClient(getConfig().databaseUrl);
  if (!getConfig().production) globalForDb.gatehouseDb = client;
  return client;
}, async (client) => {
  if (globalForDb.gatehouseDb === client) globalForDb.gatehouseDb = undefined;
  await client.$disconnect();
});
