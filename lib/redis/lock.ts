// Released only by its owner (compare-and-delete), expiring by itself if the owner dies. The locked work must end
// well within ttlMs, and the writes it guards should still check a version: a lease can be lost (expiry, failover).
// One key per lock, in its own hash slot, so it works on Redis Cluster.
import "server-only";
import { randomBytes } from "node:crypto";
import { sha256Hex } from "../crypto/opaque";
import { redis } from "./client";
import { redisKeys } from "./keys";

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export type RedisLock = { key: string; owner: string; release: () => Promise<boolean> };

/** Redis errors propagate (→ 503). */
export async function tryLock(name: string, ttlMs: number): Promise<RedisLock | null> {
  const key = redisKeys.lock(sha256Hex(name));
  const owner = randomBytes(16).toString("base64url");
  if ((await redis.set(key, owner, "PX", Math.max(1, Math.ceil(ttlMs)), "NX")) !== "OK") return null;
  return { key, owner, release: async () => (await redis.eval(RELEASE, 1, key, owner)) === 1 };
}

export async function withLock<T>(
  name: string,
  fn: () => Promise<T>,
  { ttlMs, waitMs, pollMs = 50 }: { ttlMs: number; waitMs: number; pollMs?: number },
): Promise<{ value: T } | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = await tryLock(name, ttlMs);
    if (lock) {
      try {
        return { value: await fn() };
      } finally {
        await lock.release().catch(() => false);
      }
    }
    if (Date.now() + pollMs > deadline) return null;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
