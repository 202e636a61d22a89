// Fixed-window rate limiting against the real Redis: exact counts under concurrency, per subject, always a TTL.
import { randomBytes } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto/opaque";
import { closeLazyClients } from "../lazy";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { enforceRateLimit, subjectDigest, takeRateLimitHit } from "./fixed-window";

afterAll(closeLazyClients);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomIp = () => `10.${[...randomBytes(3)].join(".")}`;
const bucket = () => `test-${randomBytes(4).toString("hex")}`;

// The window is wall-clock minutes: never start a test right before a boundary, or its hits would split.
beforeEach(async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 3000) await sleep(left + 20);
});

async function hit(b: string, subject: string, limit: number) {
  try {
    await enforceRateLimit({ bucket: b, subject, limit });
    return { ok: true as const };
  } catch (err) {
    return { ok: false as const, err: err as { code?: string; status?: number; headers?: Record<string, string> } };
  }
}

describe("enforceRateLimit", () => {
  it("lets N requests through, refuses the next with Retry-After, and leaves other subjects alone", async () => {
    const b = bucket();
    const ip = randomIp();
    for (let i = 0; i < 5; i++) expect(await hit(b, ip, 5)).toEqual({ ok: true });

    const over = await hit(b, ip, 5);
    expect(over.ok).toBe(false);
    if (over.ok) return;
    expect(over.err).toMatchObject({ code: "rate_limited", status: 429 });
    const retryAfter = over.err.headers?.["Retry-After"];
    expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect((await hit(b, ip, 5)).ok).toBe(false);

    expect(await hit(b, randomIp(), 5)).toEqual({ ok: true });
    // The same subject in another bucket is counted separately.
    expect(await hit(bucket(), ip, 5)).toEqual({ ok: true });
  });

  it("lets exactly `limit` of 30 concurrent requests through", async () => {
    const b = bucket();
    const ip = randomIp();
    const results = await Promise.all(Array.from({ length: 30 }, () => hit(b, ip, 10)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(20);
    for (const r of refused) if (!r.ok) expect(r.err.code).toBe("rate_limited");
  });

  it("always gives the counter a TTL no longer than the window, and keeps no raw subject in the key", async () => {
    const b = bucket();
    const ip = randomIp();
    await enforceRateLimit({ bucket: b, subject: ip, limit: 3 });
    const key = redisKeys.rateLimit(b, sha256Hex(ip).slice(0, 32), Math.floor(Date.now() / 60_000));
    expect(await redis.get(key)).toBe("1");
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(key).not.toContain(ip);

    await enforceRateLimit({ bucket: b, subject: ip, limit: 3 });
    expect(await redis.get(key)).toBe("2");
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it("keeps counting after Redis lost its script cache (restart, SCRIPT FLUSH)", async () => {
    const b = bucket();
    const ip = randomIp();
    expect(await hit(b, ip, 2)).toEqual({ ok: true });
    await redis.script("FLUSH");
    expect(await hit(b, ip, 2)).toEqual({ ok: true });
    expect((await hit(b, ip, 2)).ok).toBe(false);
  });
});

describe("takeRateLimitHit", () => {
  const take = async (b: string, subject: string, limit: number) => {
    try {
      return await takeRateLimitHit({ bucket: b, subject, limit });
    } catch (err) {
      return err as { code?: string };
    }
  };

  it("counts concurrent hits exactly, and a refunded hit frees its slot once, however often refund is called", async () => {
    const b = bucket();
    const ip = randomIp();
    const results = await Promise.all(Array.from({ length: 12 }, () => take(b, ip, 5)));
    const granted = results.filter((r): r is { refund: () => Promise<void> } => "refund" in r);
    expect(granted).toHaveLength(5);
    expect(results.filter((r) => "code" in r && r.code === "rate_limited")).toHaveLength(7);

    // 12 hits counted; the 5 granted are handed back (one of them twice): the 7 refused ones remain.
    await granted[0]!.refund();
    await granted[0]!.refund();
    for (const g of granted.slice(1)) await g.refund();
    const key = redisKeys.rateLimit(b, subjectDigest(ip), Math.floor(Date.now() / 60_000));
    expect(await redis.get(key)).toBe("7");
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it("never creates a counter when refunding after the window's key is gone", async () => {
    const b = bucket();
    const ip = randomIp();
    const taken = await takeRateLimitHit({ bucket: b, subject: ip, limit: 5 });
    const key = redisKeys.rateLimit(b, subjectDigest(ip), Math.floor(Date.now() / 60_000));
    await redis.del(key);
    await taken.refund();
    expect(await redis.exists(key)).toBe(0);
  });
});
