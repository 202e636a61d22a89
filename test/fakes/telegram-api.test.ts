// The Telegram fake answers in the Bot API's own shapes, through grammY as Gatehouse uses it and over raw HTTP.
import { randomInt } from "node:crypto";
import { Api, GrammyError, HttpError } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { telegramFakeControl } from "./control";
import { type TelegramFake, startTelegramFake } from "./telegram-api";

const TOKEN = "424242:fake-telegram-test-token";
let fake: TelegramFake;
let api: Api;

beforeAll(async () => {
  fake = await startTelegramFake({ botToken: TOKEN });
  api = new Api(TOKEN, { apiRoot: fake.url, fetch: globalThis.fetch });
});
afterAll(() => fake.stop());

const userId = () => randomInt(1_000_000, 2 ** 40);
const groupId = () => -randomInt(1_000_000, 2 ** 40);

async function grammyError(p: Promise<unknown>): Promise<GrammyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GrammyError);
  return err as GrammyError;
}

async function raw(path: string, init?: RequestInit) {
  const res = await fetch(`${fake.url}${path}`, init);
  return { status: res.status, headers: res.headers, body: (await res.text()) as string };
}

describe("Telegram fake: Bot API shapes through grammY", () => {
  it("getMe answers the bot named by the token; it listens on 127.0.0.1", async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const me = await api.getMe();
    expect(me).toMatchObject({ id: 424242, is_bot: true, username: "gatehouse_fake_bot" });
  });

  it("sendMessage to a user who started the bot returns a Message and records the whole body", async () => {
    const id = userId();
    fake.user({ id, firstName: "Ada" });
    const markup = { inline_keyboard: [[{ text: "Open", web_app: { url: "https://gate.example/settings?s=abc" } }]] };
    const msg = await api.sendMessage(id, "Your agent asks", { reply_markup: markup, link_preview_options: { is_disabled: true }, message_thread_id: 7 });
    expect(msg).toMatchObject({ message_id: 1, chat: { id, type: "private", first_name: "Ada" }, text: "Your agent asks" });
    expect(msg.date).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(fake.calls({ chat: id })).toEqual([
      {
        method: "sendMessage",
        chat: String(id),
        body: { chat_id: id, text: "Your agent asks", reply_markup: markup, link_preview_options: { is_disabled: true }, message_thread_id: 7 },
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        status: 200,
      },
    ]);
    expect((await api.sendMessage(id, "again")).message_id).toBe(2);
  });

  it.each([
    ["a user who never started the bot", "never_started", 403, "Forbidden: bot can't initiate conversation with a user"],
    ["a user who blocked the bot", "blocked", 403, "Forbidden: bot was blocked by the user"],
  ] as const)("sendMessage to %s → GrammyError %i", async (_name, state, code, description) => {
    const id = userId();
    fake.user({ id, state });
    const err = await grammyError(api.sendMessage(id, "hi"));
    expect(err).toMatchObject({ error_code: code, description, method: "sendMessage" });
  });

  it("an unknown chat is 400 chat not found; a wrong token 401; an unknown method 404", async () => {
    expect(await grammyError(api.sendMessage(userId(), "hi"))).toMatchObject({ error_code: 400, description: "Bad Request: chat not found" });
    expect(await grammyError(api.getChat(groupId()))).toMatchObject({ error_code: 400, description: "Bad Request: chat not found" });
    const wrong = new Api("424242:not-the-token", { apiRoot: fake.url, fetch: globalThis.fetch });
    expect(await grammyError(wrong.getMe())).toMatchObject({ error_code: 401, description: "Unauthorized" });
    const unknown = (api.raw as unknown as Record<string, (p: object) => Promise<unknown>>).sendTelepathy!({});
    expect(await grammyError(unknown)).toMatchObject({ error_code: 404, description: "Not Found" });
    const r = await raw(`/bot${TOKEN}/sendTelepathy`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });

  it("429 carries parameters.retry_after, with HTTP status 429; `times` and `methods` scope a scripted error", async () => {
    const id = userId();
    fake.user({ id, error: { error_code: 429, description: "Too Many Requests: retry after 7", retry_after: 7, methods: ["sendMessage"], times: 1 } });
    const err = await grammyError(api.sendMessage(id, "hi"));
    expect(err).toMatchObject({ error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } });
    expect(fake.calls({ chat: id })[0]!.status).toBe(429);
    await expect(api.sendMessage(id, "hi")).resolves.toMatchObject({ text: "hi" });
    const r = await raw(`/bot${TOKEN}/getChat?chat_id=${id}`);
    expect(r.status).toBe(200);
  });

  it("getChat tells groups, supergroups and channels apart", async () => {
    for (const type of ["group", "supergroup", "channel"] as const) {
      const id = groupId();
      fake.chat({ id, type, title: `A ${type}` });
      expect(await api.getChat(id)).toMatchObject({ id, type, title: `A ${type}` });
    }
    const id = userId();
    fake.user({ id, username: "ada" });
    expect(await api.getChat(id)).toMatchObject({ id, type: "private", username: "ada" });
  });

  it.each([
    ["creator", "creator", {}],
    ["administrator", "administrator", {}],
    ["member", "member", {}],
    ["restricted (still a member)", "restricted", { is_member: true }],
    ["restricted, not a member", { status: "restricted", isMember: false }, { is_member: false }],
    ["left", "left", {}],
    ["kicked", "kicked", {}],
  ] as const)("getChatMember: %s", async (_name, member, extra) => {
    const chat = groupId();
    const user = userId();
    fake.chat({ id: chat, type: "supergroup", members: { [user]: member } });
    const m = await api.getChatMember(chat, user);
    expect(m).toMatchObject({ status: typeof member === "string" ? member : member.status, user: { id: user, is_bot: false }, ...extra });
  });

  it("getChatMember: a registered user not in the group has left; an unknown user is 400 user not found", async () => {
    const chat = groupId();
    const known = userId();
    fake.user({ id: known });
    fake.chat({ id: chat, type: "group" });
    expect(await api.getChatMember(chat, known)).toMatchObject({ status: "left" });
    expect(await grammyError(api.getChatMember(chat, userId()))).toMatchObject({ error_code: 400, description: "Bad Request: user not found" });
  });

  it("records getUpdates and setWebhook (method names are case-insensitive) and answers like Telegram", async () => {
    const own = await startTelegramFake({ botToken: TOKEN });
    try {
      const a = new Api(TOKEN, { apiRoot: own.url, fetch: globalThis.fetch });
      expect(await a.getUpdates()).toEqual([]);
      expect(await a.setWebhook("https://example.com/hook")).toBe(true);
      expect(await grammyError(a.getUpdates())).toMatchObject({ error_code: 409 });
      await raw(`/bot${TOKEN}/GETUPDATES`);
      expect((await fetch(`${own.url}/bot${TOKEN}/GETUPDATES`)).status).toBe(409);
      expect(own.calls().map((c) => [c.method, c.status])).toEqual([
        ["getUpdates", 200],
        ["setWebhook", 200],
        ["getUpdates", 409],
        ["getUpdates", 409],
      ]);
      expect(own.calls({ method: "setWebhook" })[0]!.body).toEqual({ url: "https://example.com/hook" });
    } finally {
      await own.stop();
    }
  });

  it("a delayed chat answers late, so the client's timeout fires (HttpError)", async () => {
    const id = userId();
    fake.user({ id, delayMs: 3000 });
    const quick = new Api(TOKEN, { apiRoot: fake.url, fetch: globalThis.fetch, timeoutSeconds: 1 });
    const started = Date.now();
    const err = await quick.sendMessage(id, "hi").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("refuses what Telegram refuses: web_app buttons outside private chats or over http, empty text", async () => {
    const group = groupId();
    const user = userId();
    fake.chat({ id: group, type: "group" });
    fake.user({ id: user });
    const webApp = (url: string) => ({ reply_markup: { inline_keyboard: [[{ text: "Open", web_app: { url } }]] } });
    expect(await grammyError(api.sendMessage(group, "x", webApp("https://gate.example/")))).toMatchObject({ error_code: 400, description: "Bad Request: BUTTON_TYPE_INVALID" });
    expect(await grammyError(api.sendMessage(user, "x", webApp("http://localhost:3000/")))).toMatchObject({ error_code: 400, description: expect.stringContaining("Only HTTPS links are allowed") });
    expect(await grammyError(api.sendMessage(user, " "))).toMatchObject({ error_code: 400, description: "Bad Request: message text is empty" });
  });
});

describe("Telegram fake: raw HTTP", () => {
  it("takes url-encoded bodies, decoding reply_markup and link_preview_options", async () => {
    const id = userId();
    fake.user({ id });
    const body = new URLSearchParams({ chat_id: String(id), text: "form", reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "Go", url: "http://localhost:3000/x" }]] }), link_preview_options: '{"is_disabled":true}', message_thread_id: "3" });
    const r = await raw(`/bot${TOKEN}/sendMessage`, { method: "POST", body });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, result: { text: "form", chat: { id } } });
    expect(fake.calls({ chat: id })[0]!.body).toEqual({ chat_id: id, text: "form", reply_markup: { inline_keyboard: [[{ text: "Go", url: "http://localhost:3000/x" }]] }, link_preview_options: { is_disabled: true }, message_thread_id: 3 });
  });

  it.each([
    ["broken JSON", { "content-type": "application/json" }, '{"chat_id":', 400],
    ["a JSON array", { "content-type": "application/json" }, "[1,2]", 400],
    ["invalid UTF-8", { "content-type": "application/json" }, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400],
    ["an unsupported content type", { "content-type": "text/plain" }, "chat_id=1", 400],
    ["reply_markup that is not JSON", { "content-type": "application/x-www-form-urlencoded" }, "chat_id=1&text=x&reply_markup=%7Bnope", 400],
    ["more than 1 MiB", { "content-type": "application/json" }, `{"text":"${"x".repeat(1024 * 1024)}"}`, 413],
  ])("answers %s with the platform's error shape and keeps running", async (_name, headers, body, status) => {
    const r = await raw(`/bot${TOKEN}/sendMessage`, { method: "POST", headers, body });
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error_code: status, description: expect.any(String) });
    expect((await api.getMe()).is_bot).toBe(true);
  });

  it("a path outside /bot<token>/<method> is 404", async () => {
    for (const path of ["/", "/bot", `/bot${TOKEN}/a/b`, "/%E0%A4%A"]) {
      const r = await raw(path);
      expect(r.status).toBe(404);
    }
  });
});

describe("Telegram fake: control plane over HTTP", () => {
  it("scripts users and chats, lists calls by chat and method, resets", async () => {
    const own = await startTelegramFake({ botToken: TOKEN });
    try {
      const control = telegramFakeControl(own.url);
      const a = new Api(TOKEN, { apiRoot: own.url, fetch: globalThis.fetch });
      const owner = userId();
      const group = groupId();
      await control.user([{ id: owner, state: "started" }]);
      await control.chat({ id: group, type: "supergroup", members: { [owner]: "administrator" }, error: { error_code: 429, description: "Too Many Requests: retry after 3", retry_after: 3, methods: ["sendMessage"] } });
      expect((await a.getChatMember(group, owner)).status).toBe("administrator");
      expect(await grammyError(a.sendMessage(group, "x"))).toMatchObject({ parameters: { retry_after: 3 } });
      await a.sendMessage(owner, "private");
      expect((await control.calls({ chat: group })).map((c) => c.method)).toEqual(["getChatMember", "sendMessage"]);
      expect(await control.calls({ chat: owner, method: "sendMessage" })).toEqual([expect.objectContaining({ chat: String(owner), status: 200, body: { chat_id: owner, text: "private" } })]);
      await control.reset();
      expect(await control.calls()).toEqual([]);
      expect(await grammyError(a.sendMessage(owner, "x"))).toMatchObject({ error_code: 400 });
    } finally {
      await own.stop();
    }
  });

  it.each([
    ["a user with a negative id", "/__fake/telegram/users", { id: -5 }],
    ["an unknown state", "/__fake/telegram/users", { id: 5, state: "asleep" }],
    ["a chat with a positive id", "/__fake/telegram/chats", { id: 5, type: "group" }],
    ["an unknown member status", "/__fake/telegram/chats", { id: -5, type: "group", members: { 1: "owner" } }],
    ["an error without a description", "/__fake/telegram/chats", { id: -5, type: "group", error: { error_code: 400 } }],
    ["not JSON", "/__fake/telegram/users", "{"],
  ])("refuses %s with 400", async (_name, path, body) => {
    const r = await raw(path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: expect.any(String) });
  });
});

describe("Telegram fake: dev inbox", () => {
  it("lists what each chat received, newest first, escaped, with buttons as real links", async () => {
    const own = await startTelegramFake({ botToken: TOKEN });
    try {
      const a = new Api(TOKEN, { apiRoot: own.url, fetch: globalThis.fetch });
      const first = userId();
      const second = userId();
      own.user([{ id: first, firstName: "<b>Ada</b>" }, { id: second, firstName: "Bob" }]);
      await a.sendMessage(first, "older <script>alert(1)</script>", { reply_markup: { inline_keyboard: [[{ text: "Open \"it\"", url: "http://localhost:3000/settings?s=a&b=<c>" }]] }, link_preview_options: { is_disabled: true } });
      await a.sendMessage(second, "for bob");
      await a.sendMessage(first, "newer", { reply_markup: { inline_keyboard: [[{ text: "Mini App", web_app: { url: "https://gate.example/telegram" } }]] } });
      await a.sendMessage(userId(), "refused").catch(() => undefined);
      const res = await fetch(`${own.url}/__fake/inbox`);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain('<meta http-equiv="refresh" content="2">');
      expect(html).toContain('<html lang="en">');
      expect(html).not.toContain("<script");
      expect(html).not.toContain("<b>Ada");
      expect(html).toContain("older &#60;script&#62;");
      expect(html).toContain('href="http://localhost:3000/settings?s=a&#38;b=%3Cc%3E" rel="noreferrer"');
      expect(html).toContain('href="https://gate.example/telegram" rel="noreferrer"');
      expect(html).not.toContain("refused");
      // Newest chat first (first got the newest message), newest message first inside it.
      expect(html.indexOf("newer")).toBeLessThan(html.indexOf("older"));
      expect(html.indexOf("older")).toBeLessThan(html.indexOf("for bob"));
    } finally {
      await own.stop();
    }
  });
});
