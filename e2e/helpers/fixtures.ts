// Shared e2e helpers: each test gets its own client address (X-Forwarded-For) so per-IP rate limits of one
// test never affect another, and direct Redis access to move a link or session past its lifetime.
import { createHash, randomInt } from "node:crypto";
import { test as base } from "@playwright/test";
import { Redis } from "ioredis";
import { gatehouse } from "./cli";
import { E2E_ENV } from "./env";

export const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export const test = base.extend<{ clientIp: string }>({
  clientIp: async ({}, provide) => provide(randomIp()),
  extraHTTPHeaders: async ({ clientIp }, provide) => provide({ "X-Forwarded-For": clientIp }),
});
export { expect } from "@playwright/test";

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export async function withRedis<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(E2E_ENV.REDIS_URL!);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** A fresh settings link id for the workspace owner, created through the real CLI. */
export function settingsLinkId(workspaceId: string, telegramId: string): string {
  const { url } = gatehouse<{ url: string }>("link", "settings", "--workspace", workspaceId, "--platform", "telegram", "--id", telegramId);
  return new URL(url).searchParams.get("s")!;
}
