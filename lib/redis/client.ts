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

/**
 * Redis keys, one builder per kind (SPEC §2). Only hashes of ids go into keys; the `{…}` hash tag
 * keeps keys that are used together in one Redis Cluster slot.
 */
export const redisKeys = {
  linkSession: (idHash: string) => `auth:session:{${idHash}}`,
  portalSession: (idHash: string) => `portal:session:{${idHash}}`,
  userPortalSessions: (workspaceId: string, userId: string) => `portal:user-sessions:{${workspaceId}:${userId}}`,
  oauthPending: (stateHash: string) => `oauth:pending:{${stateHash}}`,
  rateLimit: (bucket: string, subject: string, window: number) => `ratelimit:${bucket}:{${subject}}:${window}`,
  telegramReplay: (hash: string) => `replay:telegram:{${hash}}`,
} as const;
