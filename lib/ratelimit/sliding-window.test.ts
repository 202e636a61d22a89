// The sliding window (the gateway's per-job budget): at most `limit` hits in any span of one window, however the
// hits fall against the clock, and exactly `limit` of many concurrent ones.
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { closeLazyClients } from "../lazy";
import { takeSlidingSlot } from "./sliding-window";

afterAll(closeLazyClients);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("takeSlidingSlot", () => {
  it("allows exactly the limit of 20 concurrent hits", async () => {
    const subject = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => takeSlidingSlot({ bucket: "test", subject, windowSeconds: 60, limit: 10 })));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    for (const r of results.filter((x) => !x.allowed)) expect(r).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number) });
  });

  it("never lets more than the limit through within one window, across any boundary, and frees a slot when the oldest ages out", async () => {
    const subject = randomUUID();
    const take = () => takeSlidingSlot({ bucket: "test", subject, windowSeconds: 2, limit: 3 });
    for (let i = 0; i < 3; i++) expect((await take()).allowed).toBe(true);
    // Well inside the window of the first three: a clock-aligned window would often have rolled over by now.
    await sleep(1_200);
    const refused = await take();
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await sleep(1_000);
    expect((await take()).allowed).toBe(true);
    expect((await take()).allowed).toBe(true);
  });

  it("keeps subjects apart", async () => {
    const a = randomUUID();
    expect((await takeSlidingSlot({ bucket: "test", subject: a, windowSeconds: 60, limit: 1 })).allowed).toBe(true);
    expect((await takeSlidingSlot({ bucket: "test", subject: a, windowSeconds: 60, limit: 1 })).allowed).toBe(false);
    expect((await takeSlidingSlot({ bucket: "test", subject: randomUUID(), windowSeconds: 60, limit: 1 })).allowed).toBe(true);
  });
});
