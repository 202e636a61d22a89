import "server-only";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { getConfig, type RedisTopology } from "../config";
import { lazyObject } from "../lazy";
import { log } from "../log";

// Fail fast: a command that cannot reach Redis errors within about a second, and callers answer 503.
const FAIL_FAST = { connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 1 } as const;
const retryStrategy = (times: number) => Math.min(times * 100, 1000);

// After a failover the old master comes back as a replica: a write to it answers READONLY. Reconnect, which asks
// the sentinels (or the cluster) where the master is now, and resend the command.
const reconnectOnError = (err: Error) => (err.message.startsWith("READONLY") ? 2 : false);

/** One node, a master found through Sentinel, or a Cluster (SPEC §14). The same command interface for all three. */
export function createRedisClient(topology: RedisTopology): Redis {
  if (topology.kind === "single") {
    return new Redis(topology.url, { ...FAIL_FAST, enableOfflineQueue: true, retryStrategy, reconnectOnError });
  }
  const { auth } = topology;
  const credentials: RedisOptions = {
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: {} } : {}),
  };
  if (topology.kind === "sentinel") {
    return new Redis({
      ...FAIL_FAST,
      ...credentials,
      db: auth.db,
      sentinels: topology.sentinels,
      name: topology.name,
      role: "master",
      enableTLSForSentinelMode: auth.tls,
      sentinelCommandTimeout: 1000,
      // Told by the sentinels' +switch-master instead of waiting for the old master's connection to fail.
      failoverDetector: true,
      sentinelRetryStrategy: retryStrategy,
      enableOfflineQueue: true,
      retryStrategy,
      reconnectOnError,
    });
  }
  const cluster = new Cluster(topology.nodes, {
    redisOptions: { ...FAIL_FAST, ...credentials, reconnectOnError },
    enableOfflineQueue: true,
    clusterRetryStrategy: retryStrategy,
    // Reads and writes go to the masters: a replica may lag behind what another instance just wrote (§14).
    scaleReads: "master",
    slotsRefreshTimeout: 1000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
  });
  // Redis and Cluster answer the same commands (multi, pipeline, eval, …); only connection management differs.
  return cluster as unknown as Redis;
}

function watch(client: Redis) {
  let lastLogged = 0;
  client.on("error", (err: Error) => {
    // Reconnect attempts fail repeatedly while Redis is down; log at most every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      log.warn({ err: { message: err.message } }, "redis connection error");
    }
  });
  return client;
}

/** True when `client` is a Cluster (for the few callers that must visit every master, e.g. a key scan in tests). */
export function isCluster(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

const globalForRedis = globalThis as unknown as { gatehouseRedis?: Redis };

export const redis: Redis = lazyObject(() => {
  if (globalForRedis.gatehouseRedis) return globalForRedis.gatehouseRedis;
  const client = watch(createRedisClient(getConfig().redis));
  if (!getConfig().production) globalForRedis.gatehouseRedis = client;
  return client;
}, async (client) => {
  if (globalForRedis.gatehouseRedis === client) globalForRedis.gatehouseRedis = undefined;
  await client.quit().catch(() => client.disconnect());
});
