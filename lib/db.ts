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
  return new PrismaClient({
    adapter,
    // A transaction may wait for a pool slot as long as a plain query may (connectionTimeoutMillis above);
    // Prisma's 2 s default turned bursts of serialised audit appends into spurious 503s.
    transactionOptions: { maxWait: 5000, timeout: 10_000 },
    omit: { secret: { ciphertext: true }, token: { hash: true }, invite: { codeHash: true } },
  });
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
