import "server-only";
import { Redis } from "ioredis";
import { getConfig } from "../config";
import { lazyObject } from "../lazy";
import { log } from "../log";

function createClient(url: string) {
  const client = new Redis(url, {
    // Fail fast: a command that cannot reach Redis errors within about a second, and callers answer 503.
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  let lastLogged = 0;
  client.on("error", (err) => {
    // Reconnect attempts fail repeatedly while Redis is down; log at most every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      log.warn({ err: { message: err.message } }, "redis connection error");
    }
  });
  return client;
}

const globalForRedis = globalThis as unknown as { gatehouseRedis?: Redis };

export const redis: Redis = lazyObject(() => {
  if (globalForRedis.gatehouseRedis) return globalForRedis.gatehouseRedis;
  const client = createClient(getConfig().redisUrl);
  if (!getConfig().production) globalForRedis.gatehouseRedis = client;
  return client;
}, async (client) => {
  if (globalForRedis.gatehouseRedis === client) globalForRedis.gatehouseRedis = undefined;
  await client.quit().catch(() => client.disconnect());
});
