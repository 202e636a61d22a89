import "server-only";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { getConfig, type RedisTopology } from "../config";
import { lazyObject } from "../lazy";
import { log } from "../log";

// Fail fast: a command that cannot reach Redis errors within about a second, and callers answer 503.
const FAIL_FAST = { connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 1 } as const;
// Concurrent requests' commands share one socket write (the bench's profile: ioredis ~10% → ~3.5% of the
// credentials route's CPU). Order on the connection is kept, so a WAIT still follows the writes before it; a
// Cluster groups them per node, so no pipeline spans slots of different nodes.
const enableAutoPipelining = true;
const retryStrategy = (times: number) => Math.min(times * 100, 1000);

// After a failover the old master comes back as a replica: a write to it answers READONLY. Reconnect, which asks
// the sentinels (or the cluster) where the master is now, and resend the command.
// A WAIT cut short by the master's demotion (UNBLOCKED), or sent to what is now a replica: reconnect, but do not
// resend (the caller answers 503).
const reconnectOnError = (err: Error) => {
  if (err.message.startsWith("READONLY")) return 2;
  if (err.message.startsWith("UNBLOCKED") || /WAIT cannot be used with replica/i.test(err.message)) return 1;
  return false;
};

/** One node, a master found through Sentinel, or a Cluster (SPEC §14). The same command interface for all three. */
export function createRedisClient(topology: RedisTopology, overrides: Pick<RedisOptions, "autoResendUnfulfilledCommands" | "enableAutoPipelining"> = {}): Redis {
  if (topology.kind === "single") {
    return new Redis(topology.url, { ...FAIL_FAST, enableAutoPipelining, enableOfflineQueue: true, retryStrategy, reconnectOnError, ...overrides });
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
      // The sentinels name the master: they must be authenticated and, with rediss:, reached over TLS too, or
      // whoever answers in their place could point Gatehouse at a Redis of their own.
      enableTLSForSentinelMode: auth.tls,
      ...(auth.tls ? { sentinelTLS: {} } : {}),
      ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      sentinelCommandTimeout: 1000,
      // Told by the sentinels' +switch-master instead of waiting for the old master's connection to fail.
      failoverDetector: true,
      sentinelRetryStrategy: retryStrategy,
      enableAutoPipelining,
      enableOfflineQueue: true,
      retryStrategy,
      reconnectOnError,
      ...overrides,
    });
  }
  const cluster = new Cluster(topology.nodes, {
    redisOptions: { ...FAIL_FAST, ...credentials, reconnectOnError },
    enableAutoPipelining,
    enableOfflineQueue: true,
    clusterRetryStrategy: retryStrategy,
    // Reads and writes go to the masters: a replica may lag behind what another instance just wrote (§14).
    scaleReads: "master",
    slotsRefreshTimeout: 1000,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
  });
  // While every node is unreachable a Cluster queues commands without any deadline (the per-node timeout only
  // starts once a node takes them): give each one the same 1 s from the moment it is sent, so callers answer 503.
  const send = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = ((command: Parameters<Cluster["sendCommand"]>[0], ...rest: unknown[]) => {
    command.setTimeout(FAIL_FAST.commandTimeout);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as Cluster["sendCommand"];
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
