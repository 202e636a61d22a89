// Readiness through the route handler against real Postgres and Redis behind cuttable proxies.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eventually } from "@/test/eventually";
import { startTcpProxy } from "@/test/tcp-proxy";

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;
let pgProxy: Proxy;
let redisProxy: Proxy;
let GET: () => Promise<Response>;

beforeAll(async () => {
  const dbUrl = new URL(process.env.DATABASE_URL!);
  const redisUrl = new URL(process.env.REDIS_URL!);
  pgProxy = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
  redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  dbUrl.host = `127.0.0.1:${pgProxy.port}`;
  redisUrl.host = `127.0.0.1:${redisProxy.port}`;
  vi.stubEnv("DATABASE_URL", dbUrl.toString());
  vi.stubEnv("REDIS_URL", redisUrl.toString());
  ({ GET } = await import("./route"));
});

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  await pgProxy.close();
  await redisProxy.close();
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
