// A fresh test database for every run: tests never depend on leftovers. Then the scaled-out engines the "scaled"
// project runs on (vitest.config.ts): a 3-node Redis Cluster and pgbouncer in transaction mode, on loopback.
import { recreateTestDatabase } from "../scripts/lib/migrate";
import { TEST_DATABASE_URL, TEST_PGBOUNCER_PORT, TEST_PORTS } from "../vitest.config";
import { startPgbouncer, startRedisCluster } from "./topology";

const state = globalThis as unknown as { gatehouseTopology?: Promise<() => Promise<void>> };

async function start() {
  await recreateTestDatabase(TEST_DATABASE_URL);
  const cluster = await startRedisCluster(TEST_PORTS.slice(0, 3));
  const pgbouncer = await startPgbouncer({ port: TEST_PGBOUNCER_PORT }).catch(async (err) => {
    await cluster.stop();
    throw err;
  });
  return async () => {
    await pgbouncer.stop();
    await cluster.stop();
  };
}

export default async function setup() {
  // Once per run, whichever project asks first.
  state.gatehouseTopology ??= start();
  const stop = await state.gatehouseTopology;
  return async () => {
    const running = state.gatehouseTopology;
    state.gatehouseTopology = undefined;
    if (running) await stop();
  };
}
