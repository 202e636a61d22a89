import "server-only";
import { createHash } from "node:crypto";
import { sha256Hex } from "../crypto/opaque";
import { AppError } from "../errors";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";

// INCR and set the window's expiry in one step, so a crash can never leave a counter without a TTL. A second key
// (same Cluster slot, by its hash tag) is read in the same round trip, for a caller that needs one more fact.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local extra = false
if KEYS[2] then extra = redis.call('GET', KEYS[2]) end
return {n, redis.call('PTTL', KEYS[1]), extra}`;
const HIT_SHA = createHash("sha1").update(HIT).digest("hex");

/** EVALSHA so each hit sends only its keys; EVAL once after a script flush. */
async function hit(keys: string[], windowMs: number): Promise<[number, number, string | null]> {
  try {
    return (await redis.evalsha(HIT_SHA, keys.length, ...keys, String(windowMs))) as [number, number, string | null];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return (await redis.eval(HIT, keys.length, ...keys, String(windowMs))) as [number, number, string | null];
  }
}

type Window = { bucket: string; subject: string; windowSeconds?: number };

function windowKey({ bucket, subject, windowSeconds = 60 }: Window) {
  const windowMs = windowSeconds * 1000;
  return { windowMs, key: redisKeys.rateLimit(bucket, subjectDigest(subject), Math.floor(Date.now() / windowMs)) };
}

/** The digest a subject is known by in Redis keys (the subject itself never reaches Redis). */
export const subjectDigest = (subject: string) => sha256Hex(subject).slice(0, 32);

function refuse(windowMs: number): never {
  // The counter resets when the wall-clock window ends, whatever its key's TTL says.
  const retryAfter = Math.max(1, Math.ceil((windowMs - (Date.now() % windowMs)) / 1000));
  throw new AppError("rate_limited", undefined, { headers: { "Retry-After": String(retryAfter) } });
}

/**
 * Counts one hit and refuses past `limit`. Redis unreachable propagates (→ 503): we never serve unlimited.
 * `alsoRead`, a key in the subject's slot, comes back read in the same round trip.
 */
export async function enforceRateLimit({ limit, alsoRead, ...w }: Window & { limit: number; alsoRead?: string }): Promise<string | null> {
  const { key, windowMs } = windowKey(w);
  const [count, , extra] = await hit(alsoRead ? [key, alsoRead] : [key], windowMs);
  if (count > limit) refuse(windowMs);
  return extra ?? null;
}

// Only a counter that still exists is decremented: DECR on an expired key would create one without a TTL.
const REFUND = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0`;

/**
 * enforceRateLimit whose hit can be handed back, for budgets that count only some outcomes (failed invite
 * redemptions): the hit is taken before the work, so concurrent requests can never overrun the budget, and
 * `refund` returns it once the request turned out not to be what the budget counts.
 */
export async function takeRateLimitHit({ limit, ...w }: Window & { limit: number }): Promise<{ refund: () => Promise<void> }> {
  const { key, windowMs } = windowKey(w);
  const [count] = await hit([key], windowMs);
  if (count > limit) refuse(windowMs);
  let refunded = false;
  return {
    refund: async () => {
      if (refunded) return;
      refunded = true;
      await redis.eval(REFUND, 1, key);
    },
  };
}
