// initData verification and the replay guard at the library level (the HTTP contract is in
// app/api/telegram/session/route.test.ts).
import { sign, signData } from "@tma.js/init-data-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { closeLazyClients } from "../lazy";
import type * as InitDataModule from "../telegram/init-data";
import type * as RedisModule from "../redis/client";
import type * as SessionModule from "./telegram-sign-in";

const BOT_TOKEN = "123456:vitest-telegram-lib-token";

let verifyInitData: typeof InitDataModule.verifyInitData;
let startTelegramSession: typeof SessionModule.startTelegramSession;
let redis: typeof RedisModule.redis;

beforeAll(async () => {
  vi.stubEnv("TELEGRAM_BOT_TOKEN", BOT_TOKEN);
  vi.stubEnv("TELEGRAM_INIT_DATA_MAX_AGE_SECONDS", "600");
  ({ verifyInitData } = await import("../telegram/init-data"));
  ({ startTelegramSession } = await import("./telegram-sign-in"));
  ({ redis } = await import("../redis/client"));
});

afterAll(async () => {
  // Imported up front: the last test resets the module registry, and a fresh lazy.ts knows no clients.
  await closeLazyClients();
  vi.unstubAllEnvs();
});

/** Signs arbitrary pairs the way Telegram does, without the library's opinion of which fields exist. */
function signPairs(pairs: Record<string, string>, token = BOT_TOKEN) {
  const checkString = Object.entries(pairs)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join("\n");
  return new URLSearchParams({ ...pairs, hash: signData(checkString, token) }).toString();
}

const now = () => String(Math.floor(Date.now() / 1000));
const invalid = expect.objectContaining({ code: "invalid_init_data", status: 401 });

describe("verifyInitData", () => {
  it("returns the Telegram user id, start_param, hash and auth_date", () => {
    const authDate = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    const raw = sign({ user: { id: 4242, first_name: "A" }, start_param: "ws" }, BOT_TOKEN, authDate);
    expect(verifyInitData(raw)).toEqual({ telegramUserId: "4242", name: "A", startParam: "ws", hash: new URLSearchParams(raw).get("hash"), authDate });
  });

  it("accepts initData without the newer `signature` field", () => {
    const raw = signPairs({ auth_date: now(), user: JSON.stringify({ id: 77, first_name: "Old client" }), query_id: "AAA" });
    expect(verifyInitData(raw).telegramUserId).toBe("77");
  });

  it("refuses a correctly signed initData without a usable user id", () => {
    for (const user of [undefined, "not json", JSON.stringify({ first_name: "no id" }), JSON.stringify({ id: "12" }), JSON.stringify({ id: -5 })]) {
      const raw = signPairs({ auth_date: now(), ...(user ? { user } : {}) });
      expect(() => verifyInitData(raw)).toThrow(invalid);
    }
    // Larger than JavaScript can hold exactly: refused, never rounded to someone else's id.
    const raw = signPairs({ auth_date: now(), user: '{"id":12345678901234567891,"first_name":"Big"}' });
    expect(() => verifyInitData(raw)).toThrow(invalid);
  });

  it("refuses a malformed auth_date even when signed", () => {
    for (const authDate of ["", "12abc", "-1", "1e9"]) {
      expect(() => verifyInitData(signPairs({ auth_date: authDate, user: '{"id":1}' }))).toThrow(invalid);
    }
  });

  it("refuses initData past the configured max age, or too far in the future", () => {
    const user = { id: 1, first_name: "A" };
    expect(() => verifyInitData(sign({ user }, BOT_TOKEN, new Date(Date.now() - 601_000)))).toThrow(invalid);
    expect(() => verifyInitData(sign({ user }, BOT_TOKEN, new Date(Date.now() - 590_000)))).not.toThrow();
    expect(() => verifyInitData(sign({ user }, BOT_TOKEN, new Date(Date.now() + 90_000)))).toThrow(invalid);
  });

  it("refuses non-strings", () => {
    for (const raw of [undefined, null, 42, { hash: "x" }]) expect(() => verifyInitData(raw)).toThrow(invalid);
  });
});

describe("startTelegramSession", () => {
  it("keeps only a digest of the hash in Redis, for as long as the initData could verify", async () => {
    const ws = await makeWorkspace();
    const raw = sign({ user: { id: Number(ws.ownerTelegramId), first_name: "A" } }, BOT_TOKEN, new Date());
    const result = await startTelegramSession({ initData: raw, ip: "10.0.0.1", userAgent: null });
    expect(result).toMatchObject({ next: "portal", workspaceId: ws.workspaceId });

    const hash = new URLSearchParams(raw).get("hash")!;
    expect(await redis.exists(`replay:telegram:{${hash}}`)).toBe(0);
    const { sha256Hex } = await import("../crypto/opaque");
    const ttl = await redis.ttl(`replay:telegram:{${sha256Hex(hash)}}`);
    expect(ttl).toBeGreaterThan(600);
    expect(ttl).toBeLessThanOrEqual(660);
  });

  it("does not consume the initData when refusing it", async () => {
    const raw = sign({ user: { id: Number(randomTelegramId()), first_name: "A" } }, BOT_TOKEN, new Date());
    await expect(startTelegramSession({ initData: raw, ip: "10.0.0.2", userAgent: null })).rejects.toMatchObject({ code: "forbidden" });
    const { sha256Hex } = await import("../crypto/opaque");
    expect(await redis.exists(`replay:telegram:{${sha256Hex(new URLSearchParams(raw).get("hash")!)}}`)).toBe(0);
  });
});

describe("without TELEGRAM_BOT_TOKEN", () => {
  it("answers 503 unavailable (sign-in not configured), not 401", async () => {
    vi.stubEnv("TELEGRAM_BOT_TOKEN", "");
    vi.resetModules();
    // A fresh module graph parses the configuration again; it creates no clients.
    const fresh = await import("../telegram/init-data");
    const raw = sign({ user: { id: 1, first_name: "A" } }, BOT_TOKEN, new Date());
    expect(() => fresh.verifyInitData(raw)).toThrow(expect.objectContaining({ code: "unavailable", status: 503, message: "Telegram sign-in is not configured." }));
  });
});
