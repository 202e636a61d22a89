// Infrastructure failures must become 503 and query bugs must not: checked against real driver errors.
import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, describe, expect, it } from "vitest";
import { PrismaClient } from "@/generated/prisma/client";
import { startTcpProxy } from "@/test/tcp-proxy";
import { db } from "./db/client";
import { closeLazyClients } from "./lazy";
import { isInfrastructureError } from "./errors";
import { toResponse } from "./http/respond";

afterAll(closeLazyClients);

async function caught(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure");
}

describe("isInfrastructureError / toResponse", () => {
  it("maps an unreachable database to 503 for model queries, raw queries and transactions", async () => {
    const url = new URL(process.env.DATABASE_URL!);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    await proxy.close();
    url.host = `127.0.0.1:${proxy.port}`;
    const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.toString(), connectionTimeoutMillis: 1000 }) });
    try {
      for (const fn of [() => client.user.findFirst(), () => client.$queryRaw`SELECT 1`, () => client.$transaction(async (tx) => tx.user.count())]) {
        const err = await caught(fn);
        expect(isInfrastructureError(err), String(err)).toBe(true);
        expect(toResponse(err).status).toBe(503);
      }
    } finally {
      await client.$disconnect();
    }
  });

  it("maps Redis replies of a server that cannot serve now (failover, loading, cluster down, full) to 503", async () => {
    const { ReplyError } = await import("ioredis");
    for (const message of ["READONLY You can't write against a read only replica.", "LOADING Redis is loading the dataset in memory", "CLUSTERDOWN The cluster is down", "TRYAGAIN Multiple keys request during rehashing of slot", "OOM command not allowed when used memory > 'maxmemory'.", "MASTERDOWN Link with MASTER is down", "NOREPLICAS no replica acknowledged the write in time", "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)", "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.", "Failed to refresh slots cache.", "None of startup nodes is available", "All sentinels are unreachable. Retrying from scratch after 10ms."]) {
      expect(isInfrastructureError(new ReplyError(message)), message).toBe(true);
    }
    expect(isInfrastructureError(new ReplyError("ERR wrong number of arguments for 'get' command"))).toBe(false);
    expect(isInfrastructureError(new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value"))).toBe(false);
  });

  it("keeps query errors as 500 with no detail in the body", async () => {
    for (const fn of [() => db.$queryRawUnsafe("SELECT * FROM no_such_table"), () => db.$queryRaw`SELECT 'x'::int`]) {
      const err = await caught(fn);
      expect(isInfrastructureError(err)).toBe(false);
      const res = toResponse(err);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: { code: "internal_error", message: "Something went wrong on our side." } });
    }
  });
});
