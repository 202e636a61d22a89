import { afterAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto/opaque";
import { closeLazyClients } from "../lazy";
import { redis } from "./client";
import { redisKeys } from "./keys";
import { tryLock, withLock } from "./lock";

afterAll(closeLazyClients);

const name = () => `test-${Math.random().toString(36).slice(2)}`;

describe("redis lock", () => {
  it("is held by exactly one of many concurrent callers, and expires by itself", async () => {
    const n = name();
    const locks = await Promise.all(Array.from({ length: 50 }, () => tryLock(n, 300)));
    expect(locks.filter(Boolean)).toHaveLength(1);
    expect(await redis.pttl(redisKeys.lock(sha256Hex(n)))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(await tryLock(n, 1000)).not.toBeNull();
  });

  it("is released only by its owner: an expired holder cannot delete its successor's lock", async () => {
    const n = name();
    const first = (await tryLock(n, 50))!;
    await new Promise((r) => setTimeout(r, 100));
    const second = (await tryLock(n, 5000))!;
    expect(second).not.toBeNull();
    expect(await first.release()).toBe(false);
    expect(await redis.get(redisKeys.lock(sha256Hex(n)))).toBe(second.owner);
    expect(await second.release()).toBe(true);
    expect(await redis.exists(redisKeys.lock(sha256Hex(n)))).toBe(0);
  });

  it("runs concurrent withLock callers one at a time (single flight), and gives up at its wait deadline", async () => {
    const n = name();
    let inside = 0;
    let maxInside = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        withLock(
          n,
          async () => {
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            await new Promise((r) => setTimeout(r, 20));
            inside -= 1;
            return i;
          },
          { ttlMs: 5000, waitMs: 5000, pollMs: 5 },
        ),
      ),
    );
    expect(maxInside).toBe(1);
    expect(results.map((r) => r?.value).sort((a, b) => a! - b!)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const held = (await tryLock(n, 5000))!;
    const started = Date.now();
    expect(await withLock(n, async () => "never", { ttlMs: 1000, waitMs: 100, pollMs: 10 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
    await held.release();
  });
});
