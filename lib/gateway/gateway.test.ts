// The gateway (SPEC §7) through its route handler, against the in-repo Telegram and Slack fakes: the private, group
// and Slack deliveries, every refusal the fakes can produce, and the per-job limit under 20 concurrent asks. Then a
// canary over everything the file did: no link id and no URL in any gateway response, log line (raw, at trace),
// audit row or Redis key or value; and the platforms were only ever asked what a send-only bot may ask.
import { scanKeys } from "@/test/redis-scan";
import { randomBytes, randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as Log from "../log";
import { type SlackCall, type SlackFake, type SlackChannelSpec, startSlackFake } from "@/test/fakes/slack-api";
import { type TelegramCall, type TelegramChatSpec, type TelegramFake, type TelegramUserSpec, startTelegramFake } from "@/test/fakes/telegram-api";
import type * as SettingsLinkRoute from "@/app/api/v1/gateway/settings-link/route";
import type * as LinkPageRoute from "@/app/settings/link/route";
import type * as DbClient from "@/lib/db/client";
import type * as LinkSessions from "@/lib/links/sessions";
import type * as RedisClient from "@/lib/redis/client";
import type * as Factories from "@/test/factories";
import type * as Routes from "@/test/http/routes";
import type * as Messages from "./messages";
import type { GatewayReason } from "./messages";

// The raw logger at trace, without lib/log's redaction: whatever the gateway path hands the log is what is checked.
const logged = vi.hoisted(() => ({ lines: [] as string[] }));
vi.mock("../log", async (importOriginal) => {
  const real = await importOriginal<typeof Log>();
  return { ...real, log: (await import("@/test/fixtures/raw-log")).rawTraceLogger(logged.lines) };
});

const TELEGRAM_TOKEN = "777002:AAgateway-test-telegram-token";
const SLACK_TOKEN = "xoxb-3333-4444-gatewaytestslacktoken";
const SLACK_TEAM = "T0GWTEST";
const PUBLIC_URL = "http://localhost:3000";
const PER_JOB = 10;

let tg: TelegramFake;
let slack: SlackFake;
let m: {
  route: typeof SettingsLinkRoute;
  linkPage: typeof LinkPageRoute;
  factories: typeof Factories;
  http: typeof Routes;
  db: (typeof DbClient)["db"];
  redis: (typeof RedisClient)["redis"];
  sessions: typeof LinkSessions;
  messages: typeof Messages;
  LINK_ID_HEADER: string;
};

beforeAll(async () => {
  tg = await startTelegramFake({ botToken: TELEGRAM_TOKEN });
  slack = await startSlackFake({ botToken: SLACK_TOKEN, teamId: SLACK_TEAM });
  // Before any module reads the configuration (parsed once per file).
  vi.stubEnv("GATEHOUSE_PUBLIC_URL", PUBLIC_URL);
  vi.stubEnv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN);
  vi.stubEnv("TELEGRAM_API_ROOT", tg.url);
  vi.stubEnv("SLACK_BOT_TOKEN", SLACK_TOKEN);
  vi.stubEnv("SLACK_API_URL", slack.url);
  vi.stubEnv("RATE_LIMIT_GATEWAY_PER_JOB", String(PER_JOB));
  vi.stubEnv("SETTINGS_OAUTH_ISSUER", "");
  m = {
    route: await import("@/app/api/v1/gateway/settings-link/route"),
    linkPage: await import("@/app/settings/link/route"),
    factories: await import("@/test/factories"),
    http: await import("@/test/http/routes"),
    db: (await import("@/lib/db/client")).db,
    redis: (await import("@/lib/redis/client")).redis,
    sessions: await import("@/lib/links/sessions"),
    messages: await import("./messages"),
    LINK_ID_HEADER: (await import("@/lib/http/request")).LINK_ID_HEADER,
  };
});

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  await Promise.all([tg?.stop(), slack?.stop()]);
  vi.unstubAllEnvs();
});

// ---- the world of one test: its own workspace, owner, chats and job -----------------------------------------

type Answer = Awaited<ReturnType<typeof Routes.call>>;
/** Every gateway answer of the file, for the canary. */
const answers: Answer[] = [];
/** Every workspace the file made, for the canary's audit scan. */
const workspaces = new Set<string>();

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const randomGroup = () => `-100${randomInt(1_000_000_000, 9_000_000_000)}`;
const randomSlackId = (prefix: "C" | "U") => `${prefix}${randomBytes(5).toString("hex").toUpperCase()}`;

async function ask(token: string, body: Record<string, unknown> = {}) {
  const res = await m.http.call(m.route.POST, "/api/v1/gateway/settings-link", {
    method: "POST",
    headers: { ...m.http.bearer(token), "content-type": "application/json", "x-forwarded-for": randomIp() },
    body: JSON.stringify(body),
  });
  answers.push(res);
  return res;
}

type World = { workspaceId: string; ownerUserId: string; userId: string; telegramId: string; jobId: string; token: string };

/** A workspace and a job of its owner (or of a plain member) with this delivery context. */
async function world(opts: { delivery?: (w: { telegramId: string }) => { platform: "telegram" | "slack"; chatId: string; threadId?: string }; asMember?: boolean } = {}): Promise<World> {
  const ws = await m.factories.makeWorkspace({ ownerName: "Gate Owner" });
  workspaces.add(ws.workspaceId);
  let userId = ws.ownerUserId;
  let telegramId = ws.ownerTelegramId;
  if (opts.asMember) ({ userId, telegramId } = await m.factories.makeMember(ws.workspaceId));
  const job = await m.factories.makeJob(ws.workspaceId, telegramId, [], { delivery: opts.delivery?.({ telegramId }) });
  return { workspaceId: ws.workspaceId, ownerUserId: ws.ownerUserId, userId, telegramId, jobId: job.jobId, token: job.token };
}

/** A workspace with a member known only by a Slack identity, and their job in `channel` (thread ts fixed). */
async function slackWorld(channel: string) {
  const ws = await m.factories.makeWorkspace();
  workspaces.add(ws.workspaceId);
  const slackUser = randomSlackId("U");
  const { addMember } = await import("@/lib/members/membership");
  const { issueServiceToken } = await import("@/lib/tokens/registry");
  const { createJob } = await import("@/lib/jobs/create");
  const identity = { platform: "slack", externalId: `${SLACK_TEAM}:${slackUser}` } as const;
  const { userId } = await addMember({ workspaceId: ws.workspaceId, identity, displayName: "Slack Member", actor: { type: "system", id: "test" } });
  const service = await issueServiceToken({ workspaceId: ws.workspaceId, actor: { type: "system", id: "test" } });
  const job = await createJob({ workspaceId: ws.workspaceId, serviceTokenId: service.tokenId, user: identity, delivery: { platform: "slack", chatId: channel, threadId: "1700000000.000100" } });
  return { workspaceId: ws.workspaceId, userId, slackUser, jobId: job.jobId, token: job.token };
}

const tgCallsFor = (...chats: string[]) => tg.calls().filter((c) => c.chat !== undefined && chats.includes(c.chat));
const buttonsOf = (c: TelegramCall) => ((c.body.reply_markup as { inline_keyboard?: Array<Array<{ text: string; url?: string; web_app?: { url: string } }>> } | undefined)?.inline_keyboard ?? []).flat();
const slackButtonsOf = (c: SlackCall) =>
  ((c.body.blocks ?? []) as Array<{ type: string; elements?: Array<{ type: string; url?: string; text?: { text: string } }> }>).flatMap((b) => (b.type === "actions" ? (b.elements ?? []).filter((e) => e.type === "button") : []));
const idOf = (url: string) => new URL(url).searchParams.get("s") ?? "";

/** Every link any call to either fake carried, delivered or refused. */
function recordedLinks(): string[] {
  return [
    ...tg.calls().flatMap((c) => buttonsOf(c).map((b) => b.web_app?.url ?? b.url ?? "")),
    ...slack.calls().flatMap((c) => slackButtonsOf(c).map((b) => b.url ?? "")),
  ].filter(Boolean);
}

/** The interstitial as a preview bot gets it: GET /settings?s=<id> (proxy.ts hands the id over in a header). */
async function interstitial(id: string) {
  return m.http.call(m.linkPage.GET, "/settings/link", { headers: { [m.LINK_ID_HEADER]: id, "x-forwarded-for": randomIp() } });
}

async function auditOf(workspaceId: string, actions: string[] = ["gateway.link.delivered", "gateway.link.failed"]) {
  return m.db.auditEvent.findMany({ where: { workspaceId, action: { in: actions } }, orderBy: { seq: "asc" }, select: { action: true, actorType: true, actorId: true, target: true, data: true } });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectDelivered(res: Answer, platform: "telegram" | "slack") {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.body).toEqual({ type: "settings_link", delivered: true, platform, expiresAt: expect.stringMatching(ISO) });
  const expiresAt = Date.parse((res.body as { expiresAt: string }).expiresAt);
  expect(Math.abs(expiresAt - (Date.now() + 900_000))).toBeLessThan(10_000);
}

function expectRefused(res: Answer, reason: GatewayReason, retryAfterSeconds?: number) {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.body).toEqual({
    type: "settings_link",
    delivered: false,
    reason,
    message: m.messages.reasonMessage(reason, retryAfterSeconds),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** The message to the owner: words without a link, one url button (the public URL is http) to /settings?s=… */
function expectOwnerMessage(call: TelegramCall, owner: string) {
  expect(call).toMatchObject({ method: "sendMessage", chat: owner, status: 200 });
  const buttons = buttonsOf(call);
  expect(buttons).toHaveLength(1);
  expect(buttons[0]).toEqual({ text: "Open settings", url: expect.stringMatching(/^http:\/\/localhost:3000\/settings\?s=[A-Za-z0-9_-]{43}$/) });
  const url = buttons[0]!.url!;
  expect(call.body).toEqual({ chat_id: Number(owner), text: expect.any(String), reply_markup: { inline_keyboard: [[{ text: "Open settings", url }]] }, link_preview_options: { is_disabled: true } });
  const text = String(call.body.text);
  expect(text).toMatch(/^Your agent asks you to open your settings in Gatehouse \(/);
  expect(text).not.toMatch(/http|localhost|settings\?s=/i);
  expect(text).not.toContain(idOf(url));
  return url;
}

// ---- the journeys ----------------------------------------------------------------------------------------------

describe("settings-link, delivered", () => {
  it("private Telegram chat: one message with one url button, the link opens, the job's audit says delivered", async () => {
    const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
    tg.user({ id: w.telegramId, firstName: "Owner" });
    const res = await ask(w.token);
    expectDelivered(res, "telegram");

    const calls = tgCallsFor(w.telegramId);
    expect(calls.map((c) => c.method)).toEqual(["sendMessage"]);
    const url = expectOwnerMessage(calls[0]!, w.telegramId);
    const page = await interstitial(idOf(url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Gate Owner");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    // The preview bot's GET did not spend it.
    expect(await m.sessions.peekLinkSession(idOf(url))).toMatchObject({ workspaceId: w.workspaceId, userId: w.ownerUserId, purpose: { kind: "settings" } });

    expect(await auditOf(w.workspaceId)).toEqual([
      { action: "gateway.link.delivered", actorType: "job", actorId: w.jobId, target: `user:${w.ownerUserId}`, data: { type: "settings_link", platform: "telegram", reason: null } },
    ]);
  });

  it("a section and a reason: the words name both, the link lands on that section", async () => {
    const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
    tg.user({ id: w.telegramId });
    expectDelivered(await ask(w.token, { section: "secrets", reason: "I need your GitHub token" }), "telegram");
    const [call] = tgCallsFor(w.telegramId);
    expect(String(call!.body.text)).toContain("open your secrets in Gatehouse");
    expect(String(call!.body.text)).toContain("“I need your GitHub token”");
    const url = buttonsOf(call!)[0]!.url!;
    expect(await m.sessions.peekLinkSession(idOf(url))).toMatchObject({ purpose: { kind: "settings", section: "secrets" } });
  });

  it("an admin link for the owner", async () => {
    const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
    tg.user({ id: w.telegramId });
    expectDelivered(await ask(w.token, { section: "admin" }), "telegram");
    const [call] = tgCallsFor(w.telegramId);
    expect(buttonsOf(call!)).toEqual([{ text: "Open admin console", url: expect.stringMatching(/^http:\/\/localhost:3000\/settings\?s=/) }]);
    expect(await m.sessions.peekLinkSession(idOf(buttonsOf(call!)[0]!.url!))).toMatchObject({ purpose: { kind: "admin" } });
  });

  it("Telegram supergroup thread: membership checked, the button in the owner's private chat, only a link-free notice in the thread", async () => {
    const group = randomGroup();
    const w = await world({ delivery: () => ({ platform: "telegram", chatId: group, threadId: "7" }) });
    tg.user({ id: w.telegramId });
    tg.chat({ id: group, type: "supergroup", members: { [w.telegramId]: "member" } });
    expectDelivered(await ask(w.token), "telegram");

    const calls = tgCallsFor(w.telegramId, group);
    expect(calls.map((c) => [c.method, c.chat])).toEqual([
      ["getChat", group],
      ["getChatMember", group],
      ["sendMessage", w.telegramId],
      ["sendMessage", group],
    ]);
    expect(calls[1]!.body).toEqual({ chat_id: Number(group), user_id: Number(w.telegramId) });
    // The private message carries no thread of the group's.
    const url = expectOwnerMessage(calls[2]!, w.telegramId);
    expect(calls[3]!.body).toEqual({ chat_id: Number(group), text: "I sent you a private message with a button.", link_preview_options: { is_disabled: true }, message_thread_id: 7 });
    expect((await interstitial(idOf(url))).status).toBe(200);
  });

  it("Slack: one chat.postEphemeral to the channel, for the owner only, in the thread, with one url button", async () => {
    const channel = randomSlackId("C");
    const s = await slackWorld(channel);
    slack.channel({ id: channel, members: [s.slackUser] });
    expectDelivered(await ask(s.token), "slack");

    const calls = slack.calls({ chat: channel });
    expect(calls.map((c) => [c.method, c.status])).toEqual([["chat.postEphemeral", 200]]);
    expect(calls[0]!.body).toMatchObject({ channel, user: s.slackUser, thread_ts: "1700000000.000100" });
    const buttons = slackButtonsOf(calls[0]!);
    expect(buttons).toEqual([{ type: "button", text: { type: "plain_text", text: "Open settings" }, url: expect.stringMatching(/^http:\/\/localhost:3000\/settings\?s=[A-Za-z0-9_-]{43}$/), action_id: "gatehouse_open" }]);
    const url = buttons[0]!.url!;
    const words = JSON.stringify({ text: calls[0]!.body.text, blocks: (calls[0]!.body.blocks as unknown[]).filter((b) => (b as { type: string }).type !== "actions") });
    expect(words).not.toMatch(/http|localhost/);
    const page = await interstitial(idOf(url));
    expect(page.status).toBe(200);
    expect(page.text).toContain("Slack Member");
    expect(await auditOf(s.workspaceId)).toEqual([
      { action: "gateway.link.delivered", actorType: "job", actorId: s.jobId, target: `user:${s.userId}`, data: { type: "settings_link", platform: "slack", reason: null } },
    ]);
  });
});

// ---- every refusal the fakes can produce ------------------------------------------------------------------------

type Refusal = {
  name: string;
  platform: "telegram" | "slack" | null;
  /** Builds the world and scripts the fakes; returns the token and the chats whose calls to check. */
  setup: () => Promise<{ token: string; workspaceId: string; chats: { telegram?: string[]; slack?: string } }>;
  body?: Record<string, unknown>;
  reason: GatewayReason;
  retryAfterSeconds?: number;
  /** The methods the fakes saw for those chats, in order. */
  methods: string[];
};

const privateTelegram = (user: Omit<TelegramUserSpec, "id"> | null) => async () => {
  const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
  if (user) tg.user({ id: w.telegramId, ...user });
  return { token: w.token, workspaceId: w.workspaceId, chats: { telegram: [w.telegramId] } };
};
const groupTelegram = (chat: (owner: string) => Omit<TelegramChatSpec, "id">, user: Omit<TelegramUserSpec, "id"> = {}) => async () => {
  const group = randomGroup();
  const w = await world({ delivery: () => ({ platform: "telegram", chatId: group, threadId: "3" }) });
  tg.user({ id: w.telegramId, ...user });
  tg.chat({ id: group, ...chat(w.telegramId) });
  return { token: w.token, workspaceId: w.workspaceId, chats: { telegram: [w.telegramId, group] } };
};
const slackChannel = (spec: ((user: string) => Omit<SlackChannelSpec, "id">) | null) => async () => {
  const channel = randomSlackId("C");
  const s = await slackWorld(channel);
  if (spec) slack.channel({ id: channel, ...spec(s.slackUser) });
  return { token: s.token, workspaceId: s.workspaceId, chats: { slack: channel } };
};

const refusals: Refusal[] = [
  { name: "Telegram: the owner never started the bot", platform: "telegram", setup: privateTelegram({ state: "never_started" }), reason: "user_must_start_bot", methods: ["sendMessage"] },
  { name: "Telegram: the owner blocked the bot", platform: "telegram", setup: privateTelegram({ state: "blocked" }), reason: "user_must_start_bot", methods: ["sendMessage"] },
  { name: "Telegram: chat not found (the owner is unknown to Telegram)", platform: "telegram", setup: privateTelegram(null), reason: "user_must_start_bot", methods: ["sendMessage"] },
  {
    name: "Telegram: 429 with retry_after 30",
    platform: "telegram",
    setup: privateTelegram({ error: { error_code: 429, description: "Too Many Requests: retry after 30", retry_after: 30 } }),
    reason: "rate_limited",
    retryAfterSeconds: 30,
    methods: ["sendMessage"],
  },
  {
    name: "Telegram: 502 on the private message",
    platform: "telegram",
    setup: privateTelegram({ error: { error_code: 502, description: "Bad Gateway" } }),
    reason: "platform_unavailable",
    methods: ["sendMessage"],
  },
  { name: "Telegram: a channel", platform: "telegram", setup: groupTelegram((owner) => ({ type: "channel", members: { [owner]: "creator" } })), reason: "unsupported_chat", methods: ["getChat"] },
  { name: "Telegram: the owner is not in the group", platform: "telegram", setup: groupTelegram(() => ({ type: "supergroup", members: {} })), reason: "chat_not_owned", methods: ["getChat", "getChatMember"] },
  { name: "Telegram: the owner left the group", platform: "telegram", setup: groupTelegram((owner) => ({ type: "group", members: { [owner]: "left" } })), reason: "chat_not_owned", methods: ["getChat", "getChatMember"] },
  {
    name: "Telegram: group member who never started the bot (nothing in the group)",
    platform: "telegram",
    setup: groupTelegram((owner) => ({ type: "supergroup", members: { [owner]: "member" } }), { state: "never_started" }),
    reason: "user_must_start_bot",
    methods: ["getChat", "getChatMember", "sendMessage"],
  },
  {
    name: "Telegram: 502 on getChat",
    platform: "telegram",
    setup: groupTelegram(() => ({ type: "group", error: { error_code: 502, description: "Bad Gateway" } })),
    reason: "platform_unavailable",
    methods: ["getChat"],
  },
  { name: "Slack: user_not_in_channel", platform: "slack", setup: slackChannel(() => ({ members: [] })), reason: "user_not_in_channel", methods: ["chat.postEphemeral"] },
  { name: "Slack: channel_not_found", platform: "slack", setup: slackChannel(null), reason: "user_not_in_channel", methods: ["chat.postEphemeral"] },
  { name: "Slack: the bot is not in the channel", platform: "slack", setup: slackChannel((u) => ({ members: [u], botInChannel: false })), reason: "unsupported_chat", methods: ["chat.postEphemeral"] },
  {
    name: "Slack: ratelimited (Retry-After 7)",
    platform: "slack",
    setup: slackChannel((u) => ({ members: [u], error: { error: "ratelimited", retryAfter: 7 } })),
    reason: "rate_limited",
    retryAfterSeconds: 7,
    methods: ["chat.postEphemeral"],
  },
  {
    name: "Slack: HTTP 502 (retried once, then given up)",
    platform: "slack",
    setup: slackChannel((u) => ({ members: [u], error: { error: "fatal_error", httpStatus: 502 } })),
    reason: "platform_unavailable",
    methods: ["chat.postEphemeral", "chat.postEphemeral"],
  },
  {
    name: "no delivery context",
    platform: null,
    setup: async () => {
      const w = await world();
      return { token: w.token, workspaceId: w.workspaceId, chats: {} };
    },
    reason: "no_delivery_context",
    methods: [],
  },
  {
    name: "an admin link for a plain member: not_admin, nothing sent",
    platform: "telegram",
    setup: async () => {
      const w = await world({ asMember: true, delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
      tg.user({ id: w.telegramId });
      return { token: w.token, workspaceId: w.workspaceId, chats: { telegram: [w.telegramId] } };
    },
    body: { section: "admin" },
    reason: "not_admin",
    methods: [],
  },
];

describe("settings-link, not delivered", () => {
  it.each(refusals.map((r) => [r.name, r] as const))("%s", async (_name, r) => {
    const { token, workspaceId, chats } = await r.setup();
    const res = await ask(token, r.body);
    expectRefused(res, r.reason, r.retryAfterSeconds);

    const tgCalls = tgCallsFor(...(chats.telegram ?? []));
    const slackCalls = chats.slack ? slack.calls({ chat: chats.slack }) : [];
    expect([...tgCalls, ...slackCalls].map((c) => c.method)).toEqual(r.methods);
    // A link that reached no one never opens.
    for (const c of tgCalls) for (const b of buttonsOf(c)) expect((await interstitial(idOf(b.url ?? b.web_app!.url))).status).toBe(410);
    for (const c of slackCalls) for (const b of slackButtonsOf(c)) expect((await interstitial(idOf(b.url!))).status).toBe(410);
    // Nothing but the notice-free path: a group hears nothing when the owner could not be reached.
    expect(tgCalls.filter((c) => c.method === "sendMessage" && c.chat?.startsWith("-"))).toEqual([]);

    const audit = await auditOf(workspaceId);
    expect(audit.map((a) => [a.action, a.data])).toEqual([["gateway.link.failed", { type: "settings_link", platform: r.platform, reason: r.reason }]]);
    expect(await auditOf(workspaceId, ["link.created"])).toEqual([]);
  });

  it("a bad body is the usual 400, a departed owner the one 403 of §6, a completed job's token 401: nothing sent, nothing audited", async () => {
    const ws = await m.factories.makeWorkspace();
    workspaces.add(ws.workspaceId);
    const member = await m.factories.makeMember(ws.workspaceId);
    tg.user({ id: member.telegramId });
    const delivery = { platform: "telegram", chatId: member.telegramId } as const;
    const gone = await m.factories.makeJob(ws.workspaceId, member.telegramId, [], { delivery });
    const done = await m.factories.makeJob(ws.workspaceId, member.telegramId, [], { delivery });

    const bad = await ask(gone.token, { section: "billing" });
    expect(bad.status).toBe(400);
    expect((bad.body as { error: { code: string } }).error.code).toBe("validation_failed");
    expect((await ask(gone.token, { url: "https://example.test/x" })).status).toBe(400);

    const { completeJob } = await import("@/lib/jobs/lifecycle");
    await completeJob({ workspaceId: ws.workspaceId, jobId: done.jobId, serviceTokenId: done.serviceTokenId });
    expect((await ask(done.token)).status).toBe(401);

    // The row alone, as if the membership went while the job still runs: the gateway re-checks it.
    await m.db.membership.delete({ where: { workspaceId_userId: { workspaceId: ws.workspaceId, userId: member.userId } } });
    const denied = await ask(gone.token);
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: { code: "forbidden", message: "This job may not receive credentials." } });

    expect(tgCallsFor(member.telegramId)).toEqual([]);
    expect(await auditOf(ws.workspaceId)).toEqual([]);
  });

  it(`per-job limit: ${PER_JOB} attempts per 10 minutes whatever became of them, then rate_limited with retryAfterSeconds`, async () => {
    const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
    tg.user({ id: w.telegramId, state: "never_started" });
    for (let i = 0; i < PER_JOB; i++) expectRefused(await ask(w.token), "user_must_start_bot");
    const limited = await ask(w.token);
    const retryAfter = (limited.body as { retryAfterSeconds?: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expectRefused(limited, "rate_limited", retryAfter);
    // The limit is checked before anything reaches the platform.
    expect(tgCallsFor(w.telegramId)).toHaveLength(PER_JOB);
    const audit = await auditOf(w.workspaceId);
    expect(audit.map((a) => a.data)).toEqual([
      ...Array.from({ length: PER_JOB }, () => ({ type: "settings_link", platform: "telegram", reason: "user_must_start_bot" })),
      { type: "settings_link", platform: "telegram", reason: "rate_limited" },
    ]);
    // Thirty more refusals add nothing to the audit log.
    for (let i = 0; i < 30; i++) expect(((await ask(w.token)).body as { reason: string }).reason).toBe("rate_limited");
    expect(await auditOf(w.workspaceId)).toHaveLength(PER_JOB + 1);
  });
});

// ---- 20 asks at once ----------------------------------------------------------------------------------------------

describe("concurrency", () => {
  it("20 concurrent asks on one job: 10 delivered, 10 rate_limited; of the 10 links only the last one sent opens", async () => {
    const w = await world({ delivery: ({ telegramId }) => ({ platform: "telegram", chatId: telegramId }) });
    tg.user({ id: w.telegramId });
    const results = await Promise.all(Array.from({ length: 20 }, () => ask(w.token)));

    const delivered = results.filter((r) => (r.body as { delivered: boolean }).delivered);
    const refused = results.filter((r) => !(r.body as { delivered: boolean }).delivered);
    expect(delivered).toHaveLength(PER_JOB);
    expect(refused).toHaveLength(20 - PER_JOB);
    for (const r of delivered) expectDelivered(r, "telegram");
    for (const r of refused) {
      const retryAfter = (r.body as { retryAfterSeconds?: number }).retryAfterSeconds;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expectRefused(r, "rate_limited", retryAfter);
    }

    const sent = tgCallsFor(w.telegramId);
    expect(sent.map((c) => [c.method, c.status])).toEqual(Array.from({ length: PER_JOB }, () => ["sendMessage", 200]));
    const ids = sent.map((c) => idOf(buttonsOf(c)[0]!.url!));
    expect(new Set(ids).size).toBe(PER_JOB);
    const openable = await Promise.all(ids.map(async (id) => (await m.sessions.peekLinkSession(id)) !== null));
    expect(openable).toEqual([...Array.from({ length: PER_JOB - 1 }, () => false), true]);
    expect((await interstitial(ids.at(-1)!)).status).toBe(200);
    expect((await interstitial(ids[0]!)).status).toBe(410);

    const audit = await auditOf(w.workspaceId);
    expect(audit.filter((a) => a.action === "gateway.link.delivered")).toHaveLength(PER_JOB);
    // Past the budget only the first refusal of the stretch is audited: a retrying agent cannot flood the log.
    expect(audit.filter((a) => a.action === "gateway.link.failed")).toHaveLength(1);
    expect(audit.filter((a) => a.action === "gateway.link.failed").every((a) => (a.data as { reason: string }).reason === "rate_limited")).toBe(true);
  });
});

// ---- the canary, over everything above ---------------------------------------------------------------------------

const LINK_FIELDS = ["workspaceId", "userId", "purpose", "section", "createdAt", "expiresAt"];

async function redisEntries(): Promise<Array<{ key: string; value: string }>> {
  const keys = await scanKeys(m.redis);
  const out: Array<{ key: string; value: string }> = [];
  for (const key of keys) {
    const type = await m.redis.type(key);
    const value =
      type === "string"
        ? ((await m.redis.get(key)) ?? "")
        : type === "set"
          ? (await m.redis.smembers(key)).join("\n")
          : type === "hash"
            ? JSON.stringify(await m.redis.hgetall(key))
            : type === "list"
              ? (await m.redis.lrange(key, 0, -1)).join("\n")
              : type === "zset"
                ? (await m.redis.zrange(key, "0", "-1")).join("\n")
                : "";
    out.push({ key, value });
  }
  return out;
}

function workspaceOf(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === "object" && typeof (parsed as { workspaceId?: unknown }).workspaceId === "string" ? (parsed as { workspaceId: string }).workspaceId : undefined;
  } catch {
    return undefined;
  }
}

describe("canary", () => {
  it("no gateway response, header, log line, audit row or Redis key or value holds a link id or a URL", async () => {
    const links = recordedLinks();
    const ids = links.map(idOf);
    // Every delivered and every refused message above carried one (the concurrency test alone sent 10).
    expect(ids.length).toBeGreaterThanOrEqual(25);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const needles = [...new Set([...ids, ...links])];
    const check = (where: string, text: string) => {
      expect(text.toLowerCase().includes("http"), `${where} contains "http": ${text.slice(0, 300)}`).toBe(false);
      const hit = needles.find((n) => text.includes(n));
      expect(hit, `${where} contains a link id`).toBeUndefined();
    };

    expect(answers.length).toBeGreaterThanOrEqual(50);
    answers.forEach((a, i) => {
      check(`response ${i} body`, a.text);
      check(`response ${i} headers`, JSON.stringify([...a.headers.entries()]));
    });

    // The log saw the whole gateway path (the refusals' lines at least) and none of it names a link.
    await new Promise((r) => setTimeout(r, 50));
    const log = logged.lines.join("");
    expect(log).toContain("gateway: link not delivered");
    expect(log).toContain("chat platform call refused");
    logged.lines.forEach((line, i) => check(`log line ${i}`, line));

    const audit = await m.db.auditEvent.findMany({ where: { workspaceId: { in: [...workspaces] } }, select: { action: true, target: true, data: true } });
    expect(audit.some((a) => a.action === "gateway.link.delivered")).toBe(true);
    for (const a of audit) check(`audit ${a.action}`, JSON.stringify({ target: a.target, data: a.data }));

    const entries = await redisEntries();
    let linkRecords = 0;
    for (const { key, value } of entries) {
      check(`redis key ${key}`, key);
      if (key.startsWith("auth:session:{")) {
        const ws = workspaceOf(value);
        // Another test file's link (a full run shares the database): only ours are read closely.
        if (ws && !workspaces.has(ws)) continue;
        linkRecords++;
        const record = JSON.parse(value) as Record<string, unknown>;
        expect(Object.keys(record).every((k) => LINK_FIELDS.includes(k)), `link record fields ${Object.keys(record).join(",")}`).toBe(true);
        expect(["settings", "admin"]).toContain(record.purpose);
      }
      const ws = workspaceOf(value);
      if (ws && !workspaces.has(ws)) continue;
      check(`redis value of ${key}`, value);
    }
    // The delivered links of this file are still live (nobody opened them), and only as hashed keys.
    expect(linkRecords).toBeGreaterThanOrEqual(5);
  });

  it("send-only: Telegram was only asked sendMessage/getChat/getChatMember/getMe, Slack never chat.postMessage", () => {
    const allowed = new Set(["sendMessage", "getChat", "getChatMember", "getMe"]);
    expect(tg.calls().length).toBeGreaterThan(0);
    expect(tg.calls().filter((c) => !allowed.has(c.method))).toEqual([]);
    expect(tg.calls().filter((c) => ["getUpdates", "setWebhook"].includes(c.method))).toEqual([]);
    expect(slack.calls().length).toBeGreaterThan(0);
    expect(slack.calls().filter((c) => c.method === "chat.postMessage")).toEqual([]);
    expect(slack.calls().filter((c) => c.method !== "chat.postEphemeral" && c.method !== "auth.test")).toEqual([]);
  });
});
