// deliverLink on Telegram (SPEC §7) against the in-repo Bot API fake: every rule, the exact calls it makes, and
// that no failure leaks a URL, the link or the bot token into the log.
import { randomBytes, randomInt } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type TelegramCall, type TelegramFake, startTelegramFake } from "@/test/fakes/telegram-api";
import type * as Delivery from "./index";
import type { DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";

// The raw logger, without lib/log's redaction: whatever deliverLink hands the log is exactly what is checked.
const logged = vi.hoisted(() => ({ lines: [] as string[] }));
vi.mock("../log", async () => ({ log: (await import("@/test/fixtures/raw-log")).rawTraceLogger(logged.lines) }));

const TOKEN = "777001:AAtelegram-delivery-test-token";
let fake: TelegramFake;
let closedPort: number;

beforeAll(async () => {
  fake = await startTelegramFake({ botToken: TOKEN });
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  // Send-only, whatever happened above: the orchestrator's own bot connection is never touched.
  const allowed = new Set(["sendMessage", "getChat", "getChatMember", "getMe"]);
  expect(fake.calls().filter((c) => !allowed.has(c.method))).toEqual([]);
  await fake.stop();
});

type Env = { publicUrl?: string; token?: string | null; apiRoot?: string };

async function load({ publicUrl = "http://localhost:3000", token = TOKEN, apiRoot }: Env = {}): Promise<typeof Delivery> {
  vi.stubEnv("GATEHOUSE_PUBLIC_URL", publicUrl);
  vi.stubEnv("TELEGRAM_BOT_TOKEN", token ?? "");
  vi.stubEnv("TELEGRAM_API_ROOT", apiRoot ?? fake.url);
  vi.resetModules();
  return import("./index");
}

const userId = () => randomInt(1_000_000, 2 ** 40);
const groupId = () => -randomInt(1_000_000, 2 ** 40);

function linkMessage(publicUrl: string): LinkMessage {
  return {
    url: `${publicUrl}/settings?s=${randomBytes(32).toString("base64url")}`,
    text: "Your agent asks you to open your settings.",
    buttonLabel: "Open settings",
    groupNotice: "I sent you a private message.",
  };
}

const privateMessage = (owner: number, m: LinkMessage, kind: "url" | "web_app", thread?: number) => ({
  method: "sendMessage",
  chat: String(owner),
  body: {
    chat_id: owner,
    text: m.text,
    reply_markup: { inline_keyboard: [[kind === "url" ? { text: m.buttonLabel, url: m.url } : { text: m.buttonLabel, web_app: { url: m.url } }]] },
    link_preview_options: { is_disabled: true },
    ...(thread !== undefined ? { message_thread_id: thread } : {}),
  },
});
const groupNotice = (group: number, m: LinkMessage, thread?: number) => ({
  method: "sendMessage",
  chat: String(group),
  body: { chat_id: group, text: m.groupNotice, link_preview_options: { is_disabled: true }, ...(thread !== undefined ? { message_thread_id: thread } : {}) },
});
const getChat = (group: number) => ({ method: "getChat", chat: String(group), body: { chat_id: group } });
const getChatMember = (group: number, owner: number) => ({ method: "getChatMember", chat: String(group), body: { chat_id: group, user_id: owner } });

type Ctx = { owner: number; group: number; m: LinkMessage };
type Case = {
  name: string;
  env?: Env;
  setup?: (c: Ctx) => void;
  target: (c: Ctx) => DeliveryTarget;
  outcome: DeliveryOutcome;
  calls: (c: Ctx) => Array<Pick<TelegramCall, "method" | "chat" | "body">>;
  /** What the log line of the failure says (platform, method, code, outcome), when there is one. */
  logs?: Array<Record<string, unknown>>;
};

const HTTPS = { publicUrl: "https://gate.example.com" };
const priv = (c: Ctx, extra: Partial<Extract<DeliveryTarget, { platform: "telegram" }>> = {}): DeliveryTarget => ({ platform: "telegram", chatId: String(c.owner), ownerTelegramId: String(c.owner), ...extra });
const grp = (c: Ctx, extra: Partial<Extract<DeliveryTarget, { platform: "telegram" }>> = {}): DeliveryTarget => ({ platform: "telegram", chatId: String(c.group), ownerTelegramId: String(c.owner), ...extra });
const delivered: DeliveryOutcome = { delivered: true, platform: "telegram" };
const not = (reason: Extract<DeliveryOutcome, { delivered: false }>["reason"], retryAfterSeconds?: number): DeliveryOutcome => ({
  delivered: false,
  platform: "telegram",
  reason,
  ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
});
const line = (method: string, error: number | string, outcome: string) => ({ platform: "telegram", method, error, outcome });

const cases: Case[] = [
  // Private chat
  { name: "private, http public URL: one message with a url button", setup: (c) => fake.user({ id: c.owner }), target: priv, outcome: delivered, calls: (c) => [privateMessage(c.owner, c.m, "url")] },
  { name: "private, https public URL: a web_app button", env: HTTPS, setup: (c) => fake.user({ id: c.owner }), target: priv, outcome: delivered, calls: (c) => [privateMessage(c.owner, c.m, "web_app")] },
  { name: "private with a thread: message_thread_id", env: HTTPS, setup: (c) => fake.user({ id: c.owner }), target: (c) => priv(c, { threadId: "42" }), outcome: delivered, calls: (c) => [privateMessage(c.owner, c.m, "web_app", 42)] },
  { name: "private chat that is not the owner's: chat_not_owned, no call", setup: (c) => fake.user({ id: c.owner }), target: (c) => priv(c, { chatId: String(userId()) }), outcome: not("chat_not_owned"), calls: () => [] },
  { name: "owner without a Telegram identity: chat_not_owned, no call", target: (c) => priv(c, { ownerTelegramId: null }), outcome: not("chat_not_owned"), calls: () => [] },
  { name: "owner never started the bot (403)", setup: (c) => fake.user({ id: c.owner, state: "never_started" }), target: priv, outcome: not("user_must_start_bot"), calls: (c) => [privateMessage(c.owner, c.m, "url")], logs: [line("sendMessage", 403, "user_must_start_bot")] },
  { name: "owner blocked the bot (403)", setup: (c) => fake.user({ id: c.owner, state: "blocked" }), target: priv, outcome: not("user_must_start_bot"), calls: (c) => [privateMessage(c.owner, c.m, "url")], logs: [line("sendMessage", 403, "user_must_start_bot")] },
  { name: "owner's chat unknown to Telegram (400 chat not found)", target: priv, outcome: not("user_must_start_bot"), calls: (c) => [privateMessage(c.owner, c.m, "url")], logs: [line("sendMessage", 400, "user_must_start_bot")] },
  {
    name: "429 with a long retry_after: rate_limited, not retried",
    setup: (c) => fake.user({ id: c.owner, error: { error_code: 429, description: "Too Many Requests: retry after 30", retry_after: 30 } }),
    target: priv,
    outcome: not("rate_limited", 30),
    calls: (c) => [privateMessage(c.owner, c.m, "url")],
    logs: [line("sendMessage", 429, "rate_limited")],
  },
  {
    name: "429 with a short retry_after: auto-retry sends it once more",
    setup: (c) => fake.user({ id: c.owner, error: { error_code: 429, description: "Too Many Requests: retry after 1", retry_after: 1, times: 1 } }),
    target: priv,
    outcome: delivered,
    calls: (c) => [privateMessage(c.owner, c.m, "url"), privateMessage(c.owner, c.m, "url")],
  },
  {
    name: "500: platform_unavailable at once (no 3 s back-off, no retry)",
    setup: (c) => fake.user({ id: c.owner, error: { error_code: 500, description: "Internal Server Error" } }),
    target: priv,
    outcome: not("platform_unavailable"),
    calls: (c) => [privateMessage(c.owner, c.m, "url")],
    logs: [line("sendMessage", 500, "platform_unavailable")],
  },
  {
    name: "another 400 whose description quotes URLs: platform_unavailable, description not logged",
    setup: (c) => fake.user({ id: c.owner, error: { error_code: 400, description: `Bad Request: inline keyboard button URL '${c.m.url}' is invalid at https://api.telegram.org/bot${TOKEN}/sendMessage` } }),
    target: priv,
    outcome: not("platform_unavailable"),
    calls: (c) => [privateMessage(c.owner, c.m, "url")],
    logs: [line("sendMessage", 400, "platform_unavailable")],
  },
  { name: "a wrong bot token (401): platform_unavailable", env: { token: "777001:not-the-right-token" }, setup: (c) => fake.user({ id: c.owner }), target: priv, outcome: not("platform_unavailable"), calls: (c) => [privateMessage(c.owner, c.m, "url")], logs: [line("sendMessage", 401, "platform_unavailable")] },
  { name: "no bot token: platform_unavailable without a call", env: { token: null }, setup: (c) => fake.user({ id: c.owner }), target: priv, outcome: not("platform_unavailable"), calls: () => [], logs: [line("sendMessage", "not_configured", "platform_unavailable")] },

  // Groups
  {
    name: "group member, https: membership checked, web_app button in private (no thread), link-free notice in the group",
    env: HTTPS,
    setup: (c) => {
      fake.user({ id: c.owner });
      fake.chat({ id: c.group, type: "group", members: { [c.owner]: "member" } });
    },
    target: grp,
    outcome: delivered,
    calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "web_app"), groupNotice(c.group, c.m)],
  },
  {
    name: "supergroup thread, http: url button in private, the thread only on the group notice",
    setup: (c) => {
      fake.user({ id: c.owner });
      fake.chat({ id: c.group, type: "supergroup", members: { [c.owner]: "creator" } });
    },
    target: (c) => grp(c, { threadId: "7" }),
    outcome: delivered,
    calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "url"), groupNotice(c.group, c.m, 7)],
  },
  ...(["administrator", "restricted"] as const).map(
    (status): Case => ({
      name: `group, owner ${status === "restricted" ? "restricted but a member" : status}: delivered`,
      setup: (c) => {
        fake.user({ id: c.owner });
        fake.chat({ id: c.group, type: "supergroup", members: { [c.owner]: status } });
      },
      target: grp,
      outcome: delivered,
      calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "url"), groupNotice(c.group, c.m)],
    }),
  ),
  ...([["left", "left"], ["kicked", "kicked"], ["restricted, not a member", { status: "restricted", isMember: false }]] as const).map(
    ([name, member]): Case => ({
      name: `group, owner ${name}: chat_not_owned, nothing sent`,
      setup: (c) => {
        fake.user({ id: c.owner });
        fake.chat({ id: c.group, type: "supergroup", members: { [c.owner]: member } });
      },
      target: grp,
      outcome: not("chat_not_owned"),
      calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner)],
    }),
  ),
  {
    name: "group, owner unknown to Telegram (400 user not found): chat_not_owned",
    setup: (c) => fake.chat({ id: c.group, type: "group" }),
    target: grp,
    outcome: not("chat_not_owned"),
    calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner)],
    logs: [line("getChatMember", 400, "chat_not_owned")],
  },
  {
    name: "group, an owner identity of an older, looser rule (17+ digits): chat_not_owned, not a 500",
    setup: (c) => fake.chat({ id: c.group, type: "group" }),
    target: (c) => grp(c, { ownerTelegramId: "12345678901234567890" }),
    outcome: not("chat_not_owned"),
    calls: () => [],
  },
  { name: "group, owner without a Telegram identity: chat_not_owned, no call", setup: (c) => fake.chat({ id: c.group, type: "group" }), target: (c) => grp(c, { ownerTelegramId: null }), outcome: not("chat_not_owned"), calls: () => [] },
  { name: "channel: unsupported_chat, nothing sent", setup: (c) => fake.chat({ id: c.group, type: "channel", members: { [c.owner]: "creator" } }), target: grp, outcome: not("unsupported_chat"), calls: (c) => [getChat(c.group)] },
  { name: "group the bot is not in (getChat 400): unsupported_chat", target: grp, outcome: not("unsupported_chat"), calls: (c) => [getChat(c.group)], logs: [line("getChat", 400, "unsupported_chat")] },
  {
    name: "group the bot was kicked from (getChat 403): unsupported_chat",
    setup: (c) => fake.chat({ id: c.group, type: "group", error: { error_code: 403, description: "Forbidden: bot was kicked from the group chat" } }),
    target: grp,
    outcome: not("unsupported_chat"),
    calls: (c) => [getChat(c.group)],
    logs: [line("getChat", 403, "unsupported_chat")],
  },
  ...(["never_started", "blocked"] as const).map(
    (state): Case => ({
      name: `group, owner ${state}: user_must_start_bot and NOTHING in the group`,
      setup: (c) => {
        fake.user({ id: c.owner, state });
        fake.chat({ id: c.group, type: "group", members: { [c.owner]: "member" } });
      },
      target: (c) => grp(c, { threadId: "3" }),
      outcome: not("user_must_start_bot"),
      calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "url")],
      logs: [line("sendMessage", 403, "user_must_start_bot")],
    }),
  ),
  {
    name: "group, the notice fails: still delivered (the owner has the button), logged",
    setup: (c) => {
      fake.user({ id: c.owner });
      fake.chat({ id: c.group, type: "supergroup", members: { [c.owner]: "member" }, error: { error_code: 400, description: "Bad Request: message thread not found", methods: ["sendMessage"] } });
    },
    target: (c) => grp(c, { threadId: "99" }),
    outcome: delivered,
    calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "url"), groupNotice(c.group, c.m, 99)],
    logs: [line("sendMessage", 400, "delivered")],
  },
  ...(["getChat", "getChatMember"] as const).map(
    (method): Case => ({
      name: `group, 429 at ${method}: rate_limited`,
      setup: (c) => {
        fake.user({ id: c.owner });
        fake.chat({ id: c.group, type: "group", members: { [c.owner]: "member" }, error: { error_code: 429, description: "Too Many Requests: retry after 11", retry_after: 11, methods: [method] } });
      },
      target: grp,
      outcome: not("rate_limited", 11),
      calls: (c) => (method === "getChat" ? [getChat(c.group)] : [getChat(c.group), getChatMember(c.group, c.owner)]),
      logs: [line(method, 429, "rate_limited")],
    }),
  ),
  {
    name: "group, 429 on the private message: rate_limited, nothing in the group",
    setup: (c) => {
      fake.user({ id: c.owner, error: { error_code: 429, description: "Too Many Requests: retry after 5", retry_after: 5 } });
      fake.chat({ id: c.group, type: "group", members: { [c.owner]: "member" } });
    },
    target: grp,
    outcome: not("rate_limited", 5),
    calls: (c) => [getChat(c.group), getChatMember(c.group, c.owner), privateMessage(c.owner, c.m, "url")],
    logs: [line("sendMessage", 429, "rate_limited")],
  },
  {
    name: "group, getChat answers 502: platform_unavailable",
    setup: (c) => fake.chat({ id: c.group, type: "group", error: { error_code: 502, description: "Bad Gateway" } }),
    target: grp,
    outcome: not("platform_unavailable"),
    calls: (c) => [getChat(c.group)],
    logs: [line("getChat", 502, "platform_unavailable")],
  },
];

function assertLogClean(output: string, m: LinkMessage) {
  expect(output).not.toMatch(/http/i);
  expect(output).not.toContain(m.url);
  expect(output).not.toContain(new URL(m.url).searchParams.get("s")!);
  expect(output).not.toContain(TOKEN);
  expect(output).not.toContain(TOKEN.split(":")[1]);
}

async function run(c: Case) {
  const delivery = await load(c.env);
  const ctx: Ctx = { owner: userId(), group: groupId(), m: linkMessage(c.env?.publicUrl ?? "http://localhost:3000") };
  c.setup?.(ctx);
  const before = fake.calls().length;
  const logStart = logged.lines.length;
  const outcome = await delivery.deliverLink(c.target(ctx), ctx.m);
  return { ctx, outcome, calls: fake.calls().slice(before), log: logged.lines.slice(logStart).join("") };
}

describe("deliverLink on Telegram", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { ctx, outcome, calls, log } = await run(c);
    expect(outcome).toEqual(c.outcome);
    expect(calls.map(({ method, chat, body }) => ({ method, chat, body }))).toEqual(c.calls(ctx));
    assertLogClean(log, ctx.m);
    const lines = log.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map(({ platform, method, error, outcome: o }) => ({ platform, method, error, outcome: o }))).toEqual(c.logs ?? []);
  });

  it("a network error: platform_unavailable, nothing leaked", async () => {
    const delivery = await load({ apiRoot: `http://127.0.0.1:${closedPort}` });
    const m = linkMessage("http://localhost:3000");
    const owner = userId();
    const logStart = logged.lines.length;
    expect(await delivery.deliverLink({ platform: "telegram", chatId: String(owner), ownerTelegramId: String(owner) }, m)).toEqual(not("platform_unavailable"));
    const log = logged.lines.slice(logStart).join("");
    assertLogClean(log, m);
    expect(JSON.parse(log)).toMatchObject(line("sendMessage", "network", "platform_unavailable"));
  });

  it.each([
    ["the private message", (c: Ctx) => fake.user({ id: c.owner, delayMs: 6000 }), priv, (c: Ctx) => [privateMessage(c.owner, c.m, "url")], "sendMessage"],
    ["getChat in a group", (c: Ctx) => fake.chat({ id: c.group, type: "group", delayMs: 6000 }), grp, (c: Ctx) => [getChat(c.group)], "getChat"],
  ] as const)("a platform that takes 6 s on %s: platform_unavailable after 5 s, not retried", async (_name, setup, target, calls, method) => {
    const started = Date.now();
    const { ctx, outcome, calls: made, log } = await run({ name: "timeout", setup, target, outcome: delivered, calls: () => [] });
    const elapsed = Date.now() - started;
    expect(outcome).toEqual(not("platform_unavailable"));
    expect(elapsed).toBeGreaterThanOrEqual(4900);
    expect(elapsed).toBeLessThan(6000);
    expect(made.map(({ method: mm, chat, body }) => ({ method: mm, chat, body }))).toEqual(calls(ctx));
    assertLogClean(log, ctx.m);
    expect(JSON.parse(log)).toMatchObject(line(method, "timeout", "platform_unavailable"));
  });

  it("throws only for programming errors: a malformed id, a foreign link, a link in the words", async () => {
    const { deliverLink } = await load();
    const m = linkMessage("http://localhost:3000");
    const owner = String(userId());
    const target = { platform: "telegram", chatId: owner, ownerTelegramId: owner } as const;
    await expect(deliverLink({ ...target, chatId: "12abc" }, m)).rejects.toThrow(TypeError);
    await expect(deliverLink({ ...target, threadId: "-1" }, m)).rejects.toThrow(TypeError);
    await expect(deliverLink(target, { ...m, url: "https://evil.example/settings?s=x" })).rejects.toThrow(TypeError);
    await expect(deliverLink(target, { ...m, text: `Open ${m.url}` })).rejects.toThrow(TypeError);
    await expect(deliverLink(target, { ...m, groupNotice: `id ${new URL(m.url).searchParams.get("s")}` })).rejects.toThrow(TypeError);
    await expect(deliverLink(target, { ...m, buttonLabel: " " })).rejects.toThrow(TypeError);
    expect(fake.calls({ chat: owner })).toEqual([]);
  });
});
