// deliverLink on Slack (SPEC §7) against the in-repo Web API fake: every rule, the exact calls it makes, and
// that no failure leaks a URL, the link or the bot token into the log.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type SlackCall, type SlackFake, startSlackFake } from "@/test/fakes/slack-api";
import type * as Delivery from "./index";
import type { DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";

// The raw logger, without lib/log's redaction: whatever deliverLink hands the log is exactly what is checked.
const logged = vi.hoisted(() => ({ lines: [] as string[] }));
vi.mock("../log", async () => ({ log: (await import("@/test/fixtures/raw-log")).rawTraceLogger(logged.lines) }));

const TOKEN = "xoxb-1111-2222-slackdeliverytesttoken";
const TEAM = "T0BOTTEAM";
let fake: SlackFake;
let closedPort: number;

beforeAll(async () => {
  fake = await startSlackFake({ botToken: TOKEN, teamId: TEAM });
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  // Only the owner may ever see a link: nothing is posted for the whole channel.
  expect(fake.calls().filter((c) => c.method !== "chat.postEphemeral" && c.method !== "auth.test")).toEqual([]);
  await fake.stop();
});

type Env = { publicUrl?: string; token?: string | null; apiUrl?: string };

async function load({ publicUrl = "http://localhost:3000", token = TOKEN, apiUrl }: Env = {}): Promise<typeof Delivery> {
  vi.stubEnv("GATEHOUSE_PUBLIC_URL", publicUrl);
  vi.stubEnv("SLACK_BOT_TOKEN", token ?? "");
  vi.stubEnv("SLACK_API_URL", apiUrl ?? fake.url);
  vi.resetModules();
  return import("./index");
}

const id = (prefix: string) => `${prefix}${randomBytes(5).toString("hex").toUpperCase()}`;

function linkMessage(publicUrl: string): LinkMessage {
  return {
    url: `${publicUrl}/settings?s=${randomBytes(32).toString("base64url")}`,
    text: "Your agent asks you to open your settings.",
    buttonLabel: "Open settings",
    groupNotice: "I sent you a private message.",
  };
}

type Ctx = { channel: string; user: string; m: LinkMessage };
const ephemeral = (c: Ctx, extra: { user?: string; thread_ts?: string } = {}) => ({
  method: "chat.postEphemeral",
  chat: c.channel,
  body: {
    channel: c.channel,
    user: extra.user ?? c.user,
    ...(extra.thread_ts !== undefined ? { thread_ts: extra.thread_ts } : {}),
    text: c.m.text,
    blocks: [
      { type: "section", text: { type: "plain_text", text: c.m.text } },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: c.m.buttonLabel }, url: c.m.url, action_id: "gatehouse_open" }] },
    ],
  },
});
const authTest = { method: "auth.test", body: {} };

type Case = {
  name: string;
  env?: Env;
  setup?: (c: Ctx) => void;
  target: (c: Ctx) => DeliveryTarget;
  outcome: DeliveryOutcome;
  calls: (c: Ctx) => Array<Pick<SlackCall, "method" | "chat" | "body">>;
  logs?: Array<Record<string, unknown>>;
};

const slack = (c: Ctx, extra: Partial<Extract<DeliveryTarget, { platform: "slack" }>> = {}): DeliveryTarget => ({ platform: "slack", chatId: c.channel, ownerSlackIds: [{ team: TEAM, user: c.user }], ...extra });
const delivered: DeliveryOutcome = { delivered: true, platform: "slack" };
const not = (reason: Extract<DeliveryOutcome, { delivered: false }>["reason"], retryAfterSeconds?: number): DeliveryOutcome => ({
  delivered: false,
  platform: "slack",
  reason,
  ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
});
const line = (method: string, error: string, outcome: string) => ({ platform: "slack", method, error, outcome });
const member = (c: Ctx) => fake.channel({ id: c.channel, members: [c.user] });
const scripted = (error: string, extra: { retryAfter?: number; httpStatus?: number; times?: number } = {}) => (c: Ctx) => fake.channel({ id: c.channel, members: [c.user], error: { error, ...extra } });

const cases: Case[] = [
  { name: "one identity, a member of the channel: one ephemeral message with a url button", setup: member, target: slack, outcome: delivered, calls: (c) => [authTest, ephemeral(c)] },
  { name: "https public URL: the same button (Slack has no web_app)", env: { publicUrl: "https://gate.example.com" }, setup: member, target: slack, outcome: delivered, calls: (c) => [authTest, ephemeral(c)] },
  { name: "in a thread: thread_ts", setup: member, target: (c) => slack(c, { threadId: "1700000000.000200" }), outcome: delivered, calls: (c) => [authTest, ephemeral(c, { thread_ts: "1700000000.000200" })] },
  { name: "no Slack identity: chat_not_owned, no call", setup: member, target: (c) => slack(c, { ownerSlackIds: [] }), outcome: not("chat_not_owned"), calls: () => [] },
  {
    name: "several identities: auth.test's team picks the user",
    setup: member,
    target: (c) => slack(c, { ownerSlackIds: [{ team: "T0OTHER", user: "UOTHER" }, { team: TEAM, user: c.user }] }),
    outcome: delivered,
    calls: (c) => [authTest, ephemeral(c)],
  },
  {
    name: "several identities, none in the bot's team: chat_not_owned",
    setup: member,
    target: () => ({ platform: "slack", chatId: "CNONE", ownerSlackIds: [{ team: "T0A", user: "UA" }, { team: "T0B", user: "UB" }] }),
    outcome: not("chat_not_owned"),
    calls: () => [authTest],
  },
  { name: "user_not_in_channel", setup: (c) => fake.channel({ id: c.channel, members: [] }), target: slack, outcome: not("user_not_in_channel"), calls: (c) => [authTest, ephemeral(c)], logs: [line("chat.postEphemeral", "user_not_in_channel", "user_not_in_channel")] },
  { name: "channel_not_found: user_not_in_channel", target: slack, outcome: not("user_not_in_channel"), calls: (c) => [authTest, ephemeral(c)], logs: [line("chat.postEphemeral", "channel_not_found", "user_not_in_channel")] },
  { name: "the app is not in the channel (not_in_channel): unsupported_chat", setup: (c) => fake.channel({ id: c.channel, members: [c.user], botInChannel: false }), target: slack, outcome: not("unsupported_chat"), calls: (c) => [authTest, ephemeral(c)], logs: [line("chat.postEphemeral", "not_in_channel", "unsupported_chat")] },
  { name: "ratelimited (429 + Retry-After): rate_limited, not retried", setup: scripted("ratelimited", { retryAfter: 12 }), target: slack, outcome: not("rate_limited", 12), calls: (c) => [authTest, ephemeral(c)], logs: [line("chat.postEphemeral", "ratelimited", "rate_limited")] },
  { name: "a wrong token (invalid_auth): platform_unavailable", env: { token: "xoxb-wrong" }, setup: member, target: slack, outcome: not("platform_unavailable"), calls: () => [authTest], logs: [line("auth.test", "invalid_auth", "platform_unavailable")] },
  {
    name: "one identity, of another Slack team: chat_not_owned (a user id of another team could name someone else here)",
    setup: member,
    target: (c) => slack(c, { ownerSlackIds: [{ team: "T0OTHER", user: c.user }] }),
    outcome: not("chat_not_owned"),
    calls: () => [authTest],
  },
  {
    name: "auth.test refused (invalid_auth) with several identities: platform_unavailable",
    env: { token: "xoxb-wrong" },
    setup: member,
    target: (c) => slack(c, { ownerSlackIds: [{ team: "T0OTHER", user: "UOTHER" }, { team: TEAM, user: c.user }] }),
    outcome: not("platform_unavailable"),
    calls: () => [authTest],
    logs: [line("auth.test", "invalid_auth", "platform_unavailable")],
  },
  { name: "another Slack error: platform_unavailable", setup: scripted("channel_is_archived"), target: slack, outcome: not("platform_unavailable"), calls: (c) => [authTest, ephemeral(c)], logs: [line("chat.postEphemeral", "channel_is_archived", "platform_unavailable")] },
  { name: "a 503: platform_unavailable after one quick retry", setup: scripted("service_unavailable", { httpStatus: 503 }), target: slack, outcome: not("platform_unavailable"), calls: (c) => [authTest, ephemeral(c), ephemeral(c)], logs: [line("chat.postEphemeral", "status_503", "platform_unavailable")] },
  { name: "a single 503: the retry delivers", setup: scripted("service_unavailable", { httpStatus: 503, times: 1 }), target: slack, outcome: delivered, calls: (c) => [authTest, ephemeral(c), ephemeral(c)] },
  { name: "no bot token: platform_unavailable without a call", env: { token: null }, setup: member, target: slack, outcome: not("platform_unavailable"), calls: () => [], logs: [line("chat.postEphemeral", "not_configured", "platform_unavailable")] },
];

function assertLogClean(output: string, m: LinkMessage) {
  expect(output).not.toMatch(/http/i);
  expect(output).not.toContain(m.url);
  expect(output).not.toContain(new URL(m.url).searchParams.get("s")!);
  expect(output).not.toContain(TOKEN);
}

async function run(c: Pick<Case, "env" | "setup" | "target">, delivery?: typeof Delivery) {
  delivery ??= await load(c.env);
  const ctx: Ctx = { channel: id("C"), user: id("U"), m: linkMessage(c.env?.publicUrl ?? "http://localhost:3000") };
  c.setup?.(ctx);
  const before = fake.calls().length;
  const logStart = logged.lines.length;
  const outcome = await delivery.deliverLink(c.target(ctx), ctx.m);
  return { ctx, outcome, calls: fake.calls().slice(before).map(({ method, chat, body }) => ({ method, ...(chat ? { chat } : {}), body })), log: logged.lines.slice(logStart).join("") };
}

const logFields = (log: string) =>
  log
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ platform, method, error, outcome }) => ({ platform, method, error, outcome }));

describe("deliverLink on Slack", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { ctx, outcome, calls, log } = await run(c);
    expect(outcome).toEqual(c.outcome);
    expect(calls).toEqual(c.calls(ctx));
    assertLogClean(log, ctx.m);
    expect(logFields(log)).toEqual(c.logs ?? []);
  });

  it("asks auth.test once per process", async () => {
    const delivery = await load();
    const first = await run({ setup: member, target: slack }, delivery);
    const second = await run({ setup: member, target: slack }, delivery);
    expect([first.outcome, second.outcome]).toEqual([delivered, delivered]);
    expect(first.calls.map((x) => x.method)).toEqual(["auth.test", "chat.postEphemeral"]);
    expect(second.calls.map((x) => x.method)).toEqual(["chat.postEphemeral"]);
  });

  it("a network error: platform_unavailable, nothing leaked", async () => {
    const { outcome, log, ctx } = await run({ env: { apiUrl: `http://127.0.0.1:${closedPort}/api/` }, target: slack });
    expect(outcome).toEqual(not("platform_unavailable"));
    assertLogClean(log, ctx.m);
    expect(logFields(log)).toEqual([line("auth.test", "network", "platform_unavailable")]);
  });

  it("a platform that takes 6 s: platform_unavailable after 5 s, and the timed-out post is not sent again", async () => {
    const started = Date.now();
    const { outcome, calls, log, ctx } = await run({ setup: (c) => fake.channel({ id: c.channel, members: [c.user], delayMs: 6000 }), target: slack });
    const elapsed = Date.now() - started;
    expect(outcome).toEqual(not("platform_unavailable"));
    expect(elapsed).toBeGreaterThanOrEqual(4900);
    expect(elapsed).toBeLessThan(6000);
    expect(calls).toEqual([authTest, ephemeral(ctx)]);
    assertLogClean(log, ctx.m);
    expect(logFields(log)).toEqual([line("chat.postEphemeral", "timeout", "platform_unavailable")]);
  });
});
