// POST /api/telegram/session against the production build: the HTTP contract, exact error bodies.
import { randomInt } from "node:crypto";
import { sign } from "@tma.js/init-data-node";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { createWorkspace, randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_TELEGRAM_BOT_TOKEN } from "../../helpers/env";

const INVALID = { error: { code: "invalid_init_data", message: "The Telegram sign-in data could not be verified. Open the Mini App again from the bot." } };
const EXPIRED = { error: { code: "invalid_init_data", message: "This Telegram sign-in has expired or was already used. Open the Mini App again from the bot." } };
const NOT_A_MEMBER = {
  error: { code: "forbidden", message: "This Telegram account is not a member of any workspace. Ask your workspace admin to add you." },
};

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function initDataFor(telegramId: string, opts: { authDate?: Date; token?: string } = {}) {
  return sign({ user: { id: Number(telegramId), first_name: "E2E" } }, opts.token ?? E2E_TELEGRAM_BOT_TOKEN, opts.authDate ?? new Date());
}

function signIn(request: APIRequestContext, data: unknown, ip: string, origin = E2E_BASE_URL) {
  return request.post("/api/telegram/session", { data, headers: { Origin: origin, "X-Forwarded-For": ip } });
}

test("a member's initData gives 200 {redirect} and an HttpOnly session cookie", async ({ request }) => {
  const ws = createWorkspace();
  const res = await signIn(request, { initData: initDataFor(ws.ownerTelegramId) }, randomIp());
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ redirect: "/settings" });
  expect(res.headers()["cache-control"]).toBe("no-store");
  expect(res.headers()["set-cookie"]).toMatch(/^gh_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
});

test("a replayed initData is 401", async ({ request }) => {
  const ws = createWorkspace();
  const ip = randomIp();
  const initData = initDataFor(ws.ownerTelegramId);
  expect((await signIn(request, { initData }, ip)).status()).toBe(200);
  const replay = await signIn(request, { initData }, ip);
  expect(replay.status()).toBe(401);
  expect(await replay.json()).toEqual(EXPIRED);
  expect(replay.headers()["set-cookie"]).toBeUndefined();
});

const refusals: Array<{ name: string; initData: (telegramId: string) => string; status: number; body: unknown }> = [
  { name: "stale (auth_date older than the max age)", initData: (id) => initDataFor(id, { authDate: new Date(Date.now() - 3700_000) }), status: 401, body: EXPIRED },
  {
    name: "tampered (user changed after signing)",
    initData: (id) => initDataFor(id).replace(encodeURIComponent(`"first_name":"E2E"`), encodeURIComponent(`"first_name":"Eve"`)),
    status: 401,
    body: INVALID,
  },
  { name: "signed with another bot's token", initData: (id) => initDataFor(id, { token: "999999:another-bot-token" }), status: 401, body: INVALID },
  { name: "malformed", initData: () => "user=1&hash=abc", status: 401, body: INVALID },
  { name: "a Telegram account nobody added", initData: () => initDataFor(randomTelegramId()), status: 403, body: NOT_A_MEMBER },
];

for (const c of refusals) {
  test(`initData that is ${c.name} is ${c.status}`, async ({ request }) => {
    const ws = createWorkspace();
    const res = await signIn(request, { initData: c.initData(ws.ownerTelegramId) }, randomIp());
    expect(res.status()).toBe(c.status);
    expect(await res.json()).toEqual(c.body);
    expect(res.headers()["set-cookie"]).toBeUndefined();
  });
}

test("a cross-origin post is 403 and does not use up the initData", async ({ request }) => {
  const ws = createWorkspace();
  const ip = randomIp();
  const initData = initDataFor(ws.ownerTelegramId);
  const cross = await signIn(request, { initData }, ip, "https://evil.example");
  expect(cross.status()).toBe(403);
  expect(await cross.json()).toEqual({ error: { code: "cross_origin", message: "Cross-origin requests are not allowed." } });
  expect((await signIn(request, { initData }, ip)).status()).toBe(200);
});

test("a body that is not the expected JSON is 415 or 400", async ({ request }) => {
  const ip = randomIp();
  const form = await request.post("/api/telegram/session", { form: { initData: "x" }, headers: { Origin: E2E_BASE_URL, "X-Forwarded-For": ip } });
  expect(form.status()).toBe(415);
  expect((await form.json()).error.code).toBe("unsupported_media_type");
  const extra = await signIn(request, { initData: "x", admin: true }, ip);
  expect(extra.status()).toBe(400);
  expect((await extra.json()).error.code).toBe("validation_failed");
});
