import "server-only";
import { db } from "../db/client";
import { redis } from "../redis/client";
import { hasReplica } from "../redis/replicated";

type Check = "ok" | "unavailable";

const TIMEOUT_MS = 1500;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error("readiness check timed out")), ms);
    }),
  ]);
}

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await withTimeout(probe(), TIMEOUT_MS);
    return "ok";
  } catch {
    return "unavailable";
  }
}

/** Both dependencies answer a trivial command within the deadline; nothing is cached between calls. */
export async function checkReadiness(): Promise<{ ready: boolean; db: Check; redis: Check }> {
  const [dbState, redisState] = await Promise.all([check(() => db.$queryRaw`SELECT 1`), check(async () => {
    await redis.ping();
    // Under Sentinel, a master without a replica to acknowledge writes refuses them (503): not ready either.
    if (!(await hasReplica())) throw new Error("no replica");
  })]);
  return { ready: dbState === "ok" && redisState === "ok", db: dbState, redis: redisState };
}
