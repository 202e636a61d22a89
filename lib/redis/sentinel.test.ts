// SPEC §14: Redis through Sentinel, on real processes (a master, a replica, three sentinels). Writes that decide
// access wait for a replica (lib/redis/replicated.ts), so a failover loses none of them; readiness is 503 while
// there is no master and 200 again after the promotion, without a restart.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eventually } from "@/test/eventually";
import { makeWorkspace } from "@/test/factories";
import { startRedisSentinel } from "@/test/topology";

let topology: Awaited<ReturnType<typeof startRedisSentinel>>;

beforeAll(async () => {
  topology = await startRedisSentinel("gatehouse-test");
  vi.stubEnv("REDIS_URL", "");
  vi.stubEnv("REDIS_SENTINELS", topology.sentinels);
  vi.stubEnv("REDIS_SENTINEL_NAME", topology.name);
}, 60_000);

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
  await topology?.stop();
});

const actor = { type: "system", id: "test" } as const;

describe("Redis through Sentinel", () => {
  it("finds the master through the sentinels: a link is created on it and consumed exactly once", async () => {
    const { createLinkSession, consumeLinkSession } = await import("@/lib/links/sessions");
    const ws = await makeWorkspace();
    const link = await createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, actor });
    const results = await Promise.all(Array.from({ length: 20 }, () => consumeLinkSession(link.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(topology.cli(topology.master.port, "ROLE").stdout).toMatch(/^master/);
  });

  it("refuses (503) a consumption no replica acknowledged, and the link stays consumed", async () => {
    const { createLinkSession, consumeLinkSession, peekLinkSession } = await import("@/lib/links/sessions");
    const { isInfrastructureError } = await import("@/lib/errors");
    const ws = await makeWorkspace();
    const link = await createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, actor });
    for (const r of topology.replicas) r.child.kill("SIGSTOP");
    try {
      const err = await consumeLinkSession(link.id).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(isInfrastructureError(err)).toBe(true);
    } finally {
      for (const r of topology.replicas) r.child.kill("SIGCONT");
    }
    expect(await peekLinkSession(link.id)).toBeNull();
    expect(await consumeLinkSession(link.id)).toBeNull();
  });

  it("fails closed when the durable connection reconnects between the write and its WAIT (maybe to another master)", async () => {
    const { durably } = await import("@/lib/redis/replicated");
    const { isInfrastructureError } = await import("@/lib/errors");
    await durably((r) => r.set("gh-test:warm", "1"));
    const err = await durably(async (r) => {
      await r.set("gh-test:moved", "1");
      r.disconnect(true);
      await new Promise<void>((resolve) => r.once("ready", () => resolve()));
    }).then(() => null, (e: unknown) => e);
    expect(isInfrastructureError(err)).toBe(true);
  });

  it("replaces a durable connection that ended: the next access write opens a new one", async () => {
    const { durably, durableConnection } = await import("@/lib/redis/replicated");
    const { createLinkSession, consumeLinkSession } = await import("@/lib/links/sessions");
    const ended = durableConnection();
    ended.disconnect(); // status "end": ioredis will not reconnect it
    await new Promise((r) => setTimeout(r, 50));
    expect(ended.status).toBe("end");
    const ws = await makeWorkspace();
    const link = await createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, actor });
    expect(await consumeLinkSession(link.id)).not.toBeNull();
    expect(durableConnection()).not.toBe(ended);
    await durably((r) => r.set("gh-test:after-end", "1"));
  });

  it("a WAIT held up by lagging replicas does not hold up anyone else's commands", async () => {
    const { createLinkSession, consumeLinkSession } = await import("@/lib/links/sessions");
    const { redis } = await import("@/lib/redis/client");
    const ws = await makeWorkspace();
    const link = await createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, actor });
    for (const r of topology.replicas) r.child.kill("SIGSTOP");
    try {
      const consuming = consumeLinkSession(link.id).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await Promise.all(Array.from({ length: 20 }, () => redis.ping()));
      expect(Date.now() - started).toBeLessThan(150);
      expect(await consuming).toBeInstanceOf(Error);
    } finally {
      for (const r of topology.replicas) r.child.kill("SIGCONT");
    }
  });

  it("survives the master's death: no acknowledged write is lost, readiness is 503 during and 200 after", async () => {
    const { createLinkSession, consumeLinkSession, peekLinkSession } = await import("@/lib/links/sessions");
    const { GET } = await import("@/app/api/ready/route");
    // Before the failover: two links created and one of them consumed, each acknowledged.
    const [w1, w2] = [await makeWorkspace(), await makeWorkspace()];
    const a = await createLinkSession({ workspaceId: w1.workspaceId, userId: w1.ownerUserId, purpose: { kind: "settings" }, actor });
    const b = await createLinkSession({ workspaceId: w2.workspaceId, userId: w2.ownerUserId, purpose: { kind: "settings" }, actor });
    const consumedBefore = await consumeLinkSession(a.id);
    expect(consumedBefore).not.toBeNull();
    expect((await GET()).status).toBe(200);

    topology.master.child.kill("SIGKILL");
    expect(await eventually(async () => (await GET()).status === 503, 5000)).toBe(true);
    // Recovers on its own once the sentinels promote the replica.
    expect(await eventually(async () => (await GET()).status === 200, 20_000)).toBe(true);
    expect(topology.currentMaster()).not.toBe(topology.master.port);

    // The consumed link stays consumed; the other still opens, once.
    expect(await consumeLinkSession(a.id)).toBeNull();
    expect(await peekLinkSession(b.id)).not.toBeNull();
    expect(await consumeLinkSession(b.id)).not.toBeNull();
    expect(await consumeLinkSession(b.id)).toBeNull();
  }, 60_000);
});
