import "server-only";
import { createHash } from "node:crypto";
import { sha256Hex } from "../crypto/opaque";
import { AppError } from "../errors";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";

// INCR and set the window's expiry in one step, so a crash can never leave a counter without a TTL.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;
const HIT_SHA = createHash("sha1").update(HIT).digest("hex");

/** EVALSHA so each hit sends only its key; EVAL once after a script flush. */
async function hit(key: string, windowMs: number): Promise<[number, number]> {
  try {
    return (await redis.evalsha(HIT_SHA, 1, key, String(windowMs))) as [number, number];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
    return (await redis.eval(HIT, 1, key, String(windowMs))) as [number, number];
  }
}

/** Redis unreachable propagates (→ 503): we never serve unlimited. */
export async function enforceRateLimit({ bucket, subject, limit, windowSeconds = 60 }: { bucket: string; subject: string; limit: number; windowSeconds?: number }) {
  const windowMs = windowSeconds * 1000;
  const window = Math.floor(Date.now() / windowMs);
  const key = redisKeys.rateLimit(bucket, sha256Hex(subject).slice(0, 32), window);
  const [count] = await hit(key, windowMs);
  if (count > limit) {
    // The counter resets when the wall-clock window ends, whatever its key's TTL says.
    const retryAfter = Math.max(1, Math.ceil((windowMs - (Date.now() % windowMs)) / 1000));
    throw new AppError("rate_limited", undefined, { headers: { "Retry-After": String(retryAfter) } });
  }
}
