// Readiness through the route handler against real Postgres and Redis behind cuttable proxies.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eventually } from "@/test/eventually";
import { proxyDependencies, type startTcpProxy } from "@/test/tcp-proxy";

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;
let pgProxy: Proxy;
let redisProxy: Proxy;
let deps: Awaited<ReturnType<typeof proxyDependencies>>;
let GET: () => Promise<Response>;

beforeAll(async () => {
  deps = await proxyDependencies(vi.stubEnv);
  pgProxy = deps.pg;
  redisProxy = deps.redis;
  ({ GET } = await import("./route"));
});

afterAll(async () => {
  await deps.stop();
  vi.unstubAllEnvs();
});

async function ready() {
  const started = Date.now();
  const res = await GET();
  return { status: res.status, body: await res.json(), ms: Date.now() - started, cache: res.headers.get("cache-control") };
}


describe("GET /api/ready", () => {
  it("is 200 when both answer", async () => {
    expect(await ready()).toMatchObject({ status: 200, body: { db: "ok", redis: "ok" }, cache: "no-store" });
  });

  it("is 503 within 2 s when Redis is unreachable, and 200 again without a restart", async () => {
    await redisProxy.close();
    const down = await ready();
    expect(down).toMatchObject({ status: 503, body: { db: "ok", redis: "unavailable" } });
    expect(down.ms).toBeLessThan(2000);
    await redisProxy.open();
    expect(await eventually(async () => (await ready()).status === 200)).toBe(true);
  });

  it("is 503 within 2 s when Postgres is unreachable, and 200 again without a restart", async () => {
    await pgProxy.close();
    const down = await ready();
    expect(down).toMatchObject({ status: 503, body: { db: "unavailable", redis: "ok" } });
    expect(down.ms).toBeLessThan(2000);
    await pgProxy.open();
    expect(await eventually(async () => (await ready()).status === 200)).toBe(true);
  });
});
