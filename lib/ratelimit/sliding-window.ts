// "At most N per window" exactly, at any instant: each hit is kept (a sorted set scored by time) until it is a
// window old. For small budgets where a fixed window's doubling at its boundary matters (the gateway's per-job
// deliveries: 10 per 10 minutes must never become 20 within seconds). One key per subject, one Cluster slot.
import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { subjectDigest } from "./fixed-window";

// Redis's clock, not ours: every instance counts against the same time. Returns {allowed (1|0), ms until a slot frees}.
const HIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}`;
const HIT_SHA = createHash("sha1").update(HIT).digest("hex");

/** Counts one hit if it fits; otherwise says how many seconds until one does. Redis errors propagate (→ 503). */
export async function takeSlidingSlot({ bucket, subject, windowSeconds, limit }: { bucket: string; subject: string; windowSeconds: number; limit: number }): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const key = redisKeys.slidingLimit(bucket, subjectDigest(subject));
  const args = [String(windowSeconds * 1000), String(limit), randomBytes(8).toString("hex")];
  let reply: [number, number];
  try {
    reply = (await redis.evalsha(HIT_SHA, 1, key, ...args)) as [number, number];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    reply = (await redis.eval(HIT, 1, key, ...args)) as [number, number];
  }
  return reply[0] === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(reply[1] / 1000)) };
}

/**
 * True for the first caller of a stretch of refusals (one key per subject, until `seconds` pass): what is refused
 * again and again is recorded once, not once per retry.
 */
export async function noteRefusal({ bucket, subject, seconds }: { bucket: string; subject: string; seconds: number }): Promise<boolean> {
  return (await redis.set(redisKeys.refusalNoted(bucket, subjectDigest(subject)), "1", "EX", Math.max(1, seconds), "NX")) === "OK";
}
