// The Slack fake answers in the Web API's own shapes, through @slack/web-api as Gatehouse uses it and over raw HTTP.
import { randomBytes } from "node:crypto";
import { ErrorCode, WebClient } from "@slack/web-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackFakeControl } from "./control";
import { type SlackFake, startSlackFake } from "./slack-api";

const TOKEN = "xoxb-fake-slack-test-token";
let fake: SlackFake;
let client: WebClient;

const quiet = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => "error" as never, setName() {} };
const webClient = (url: string, token = TOKEN) => new WebClient(token, { slackApiUrl: url, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, logger: quiet });

beforeAll(async () => {
  fake = await startSlackFake({ botToken: TOKEN, teamId: "T0FAKE" });
  client = webClient(fake.url);
});
afterAll(() => fake.stop());

const channelId = () => `C${randomBytes(5).toString("hex").toUpperCase()}`;
const userId = () => `U${randomBytes(5).toString("hex").toUpperCase()}`;

const blocks = (url: string) => [
  { type: "section", text: { type: "plain_text", text: "Your agent asks" } },
  { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open" }, url, action_id: "gatehouse_open" }] },
];

async function slackError(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error & { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
}

describe("Slack fake: Web API shapes through @slack/web-api", () => {
  it("auth.test names the team and the bot; the URL ends with /api/ on 127.0.0.1", async () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    expect(await client.auth.test()).toMatchObject({ ok: true, url: expect.stringMatching(/^https:\/\//), team: expect.any(String), user: expect.any(String), team_id: "T0FAKE", user_id: expect.any(String), bot_id: expect.any(String) });
  });

  it("chat.postEphemeral to a member returns message_ts and records the form body with blocks parsed back", async () => {
    const channel = channelId();
    const user = userId();
    fake.channel({ id: channel, members: [user] });
    const r = await client.chat.postEphemeral({ channel, user, thread_ts: "1700000000.000100", text: "Your agent asks", blocks: blocks("https://gate.example/settings?s=x") });
    expect(r).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    expect(fake.calls({ chat: channel })).toEqual([
      {
        method: "chat.postEphemeral",
        chat: channel,
        body: { channel, user, thread_ts: "1700000000.000100", text: "Your agent asks", blocks: blocks("https://gate.example/settings?s=x") },
        at: expect.any(String),
        status: 200,
      },
    ]);
    // The token travels in the Authorization header and is never recorded.
    expect(JSON.stringify(fake.calls())).not.toContain(TOKEN);
  });

  it.each([
    ["a user who is not in the channel", { members: [] }, "user_not_in_channel"],
    ["an app that is not in the channel", { members: ["USELF"], botInChannel: false }, "not_in_channel"],
  ])("chat.postEphemeral for %s → WebAPIPlatformError %s", async (_name, spec, code) => {
    const channel = channelId();
    fake.channel({ id: channel, ...spec });
    const err = await slackError(client.chat.postEphemeral({ channel, user: "USELF", text: "x" }));
    expect(err.code).toBe(ErrorCode.PlatformError);
    expect(err.data?.error).toBe(code);
  });

  it("an unknown channel is channel_not_found; a wrong token invalid_auth (HTTP 200); no token not_authed", async () => {
    expect((await slackError(client.chat.postEphemeral({ channel: channelId(), user: "U1", text: "x" }))).data?.error).toBe("channel_not_found");
    const wrong = await slackError(webClient(fake.url, "xoxb-wrong").auth.test());
    expect(wrong).toMatchObject({ code: ErrorCode.PlatformError, data: expect.objectContaining({ error: "invalid_auth" }) });
    const res = await fetch(`${fake.url}auth.test`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: false, error: "not_authed" });
  });

  it("ratelimited is HTTP 429 with Retry-After: a rate-limited error with retryAfter", async () => {
    const channel = channelId();
    fake.channel({ id: channel, members: ["U1"], error: { error: "ratelimited", retryAfter: 9, times: 1 } });
    const err = await slackError(client.chat.postEphemeral({ channel, user: "U1", text: "x" }));
    expect(err).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 9 });
    const raw = await fetch(`${fake.url}chat.postEphemeral`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: new URLSearchParams({ channel, user: "U1", text: "x" }) });
    expect(raw.status).toBe(200);
    fake.channel({ id: channel, members: ["U1"], error: { error: "ratelimited" } });
    const again = await fetch(`${fake.url}chat.postEphemeral`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: new URLSearchParams({ channel, user: "U1", text: "x" }) });
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("1");
    expect(await again.json()).toEqual({ ok: false, error: "ratelimited" });
  });

  it("a scripted 503 is an HTTP error; a delayed channel trips the client's timeout", async () => {
    const channel = channelId();
    fake.channel({ id: channel, members: ["U1"], error: { error: "internal_error", httpStatus: 503 } });
    expect(await slackError(client.chat.postEphemeral({ channel, user: "U1", text: "x" }))).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    const slow = channelId();
    fake.channel({ id: slow, members: ["U1"], delayMs: 3000 });
    const quick = new WebClient(TOKEN, { slackApiUrl: fake.url, timeout: 500, retryConfig: { retries: 0 }, logger: quiet });
    const started = Date.now();
    expect(await slackError(quick.chat.postEphemeral({ channel: slow, user: "U1", text: "x" }))).toMatchObject({ code: ErrorCode.RequestError });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("records chat.postMessage (which Gatehouse must never use) and answers unknown methods like Slack", async () => {
    const channel = channelId();
    fake.channel({ id: channel });
    expect(await client.chat.postMessage({ channel, text: "everyone sees this" })).toMatchObject({ ok: true, channel, ts: expect.any(String) });
    expect(fake.calls({ chat: channel, method: "chat.postMessage" })).toHaveLength(1);
    expect((await slackError(client.apiCall("users.telepathy"))).data?.error).toBe("unknown_method");
  });
});

describe("Slack fake: raw HTTP", () => {
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${fake.url}chat.postEphemeral`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, ...headers }, body });

  it("takes JSON bodies too", async () => {
    const channel = channelId();
    fake.channel({ id: channel, members: ["U1"] });
    const res = await post(JSON.stringify({ channel, user: "U1", text: "json", blocks: blocks("http://localhost:3000/x") }), { "content-type": "application/json" });
    expect(await res.json()).toMatchObject({ ok: true });
    expect(fake.calls({ chat: channel })[0]!.body).toEqual({ channel, user: "U1", text: "json", blocks: blocks("http://localhost:3000/x") });
  });

  it.each([
    ["broken JSON", { "content-type": "application/json" }, "{", 200, "invalid_json"],
    ["invalid UTF-8", { "content-type": "application/json" }, Buffer.from([0xff]), 200, "invalid_json"],
    ["blocks that are not JSON", { "content-type": "application/x-www-form-urlencoded" }, "channel=C1&user=U1&blocks=%5Bnope", 200, "invalid_blocks_format"],
    ["blocks of the wrong shape", { "content-type": "application/x-www-form-urlencoded" }, "channel=CBLOCKS&user=U1&blocks=%5B1%5D", 200, "invalid_blocks"],
    ["an unsupported content type", { "content-type": "text/plain" }, "x", 200, "invalid_form_data"],
    ["more than 1 MiB", { "content-type": "application/json" }, `{"text":"${"x".repeat(1024 * 1024)}"}`, 413, "request_too_large"],
  ])("answers %s like Slack and keeps running", async (_name, headers, body, status, error) => {
    fake.channel({ id: "CBLOCKS", members: ["U1"] });
    const res = await post(body, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ ok: false, error });
    expect((await client.auth.test()).ok).toBe(true);
  });
});

describe("Slack fake: control plane over HTTP", () => {
  it("scripts channels, lists calls by channel and method, resets", async () => {
    const own = await startSlackFake({ botToken: TOKEN, teamId: "T0OWN" });
    try {
      const control = slackFakeControl(own.url);
      const c = webClient(own.url);
      const channel = channelId();
      await control.channel({ id: channel, members: ["U1"], error: { error: "user_not_in_channel", methods: ["chat.postEphemeral"], times: 1 } });
      expect((await slackError(c.chat.postEphemeral({ channel, user: "U1", text: "x" }))).data?.error).toBe("user_not_in_channel");
      expect((await c.chat.postEphemeral({ channel, user: "U1", text: "x" })).ok).toBe(true);
      expect((await control.calls({ chat: channel, method: "chat.postEphemeral" })).map((x) => x.status)).toEqual([200, 200]);
      await control.reset();
      expect(await control.calls()).toEqual([]);
      expect((await slackError(c.chat.postEphemeral({ channel, user: "U1", text: "x" }))).data?.error).toBe("channel_not_found");
      const bad = await fetch(new URL("/__fake/slack/channels", own.url), { method: "POST", body: JSON.stringify({ id: "lowercase" }) });
      expect(bad.status).toBe(400);
    } finally {
      await own.stop();
    }
  });
});

describe("Slack fake: dev inbox", () => {
  it("lists ephemeral messages per channel with their buttons as links, escaped", async () => {
    const own = await startSlackFake({ botToken: TOKEN, teamId: "T0OWN" });
    try {
      const c = webClient(own.url);
      const channel = channelId();
      own.channel({ id: channel, members: ["U1"], name: "<ops>" });
      await c.chat.postEphemeral({ channel, user: "U1", text: "fallback", blocks: [{ type: "section", text: { type: "plain_text", text: "Hi <img src=x>" } }, ...blocks("https://gate.example/settings?s=1&t=2").slice(1)] });
      const html = await (await fetch(new URL("/__fake/inbox", own.url))).text();
      expect(html).toContain("#&#60;ops&#62;");
      expect(html).toContain("Hi &#60;img src=x&#62;");
      expect(html).not.toContain("<img");
      expect(html).toContain('href="https://gate.example/settings?s=1&#38;t=2" rel="noreferrer"');
      expect(html).toContain("only U1 sees it");
    } finally {
      await own.stop();
    }
  });
});
