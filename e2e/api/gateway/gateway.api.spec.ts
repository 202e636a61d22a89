// The gateway over real HTTP (SPEC §7), table-driven: every reason, each from a real call, with the platform calls
// the fakes recorded asserted exactly (method, chat, thread, button kind and link, preview disabled, nothing with a
// link in a group), and every answer free of URLs and link ids.
import type { APIRequestContext } from "@playwright/test";
import { randomTelegramId } from "../../helpers/cli";
import {
  addMemberAsync,
  API,
  createWorkspaceAsync,
  expectJson,
  gatehouseAsync,
  ISO,
  issueServiceToken,
  PORTAL,
  sql,
  startJob,
  type CreatedJob,
} from "../../helpers/api-seed";
import { expect, randomIp, test } from "../../helpers/fixtures";
import {
  askGateway,
  linkIdOf,
  linkUrlsIn,
  randomGroupId,
  randomSlackChannel,
  randomSlackUser,
  slackButtons,
  slackFake,
  SLACK_TEAM,
  telegramButtons,
  telegramFake,
  type GatewayPath,
} from "../../helpers/gateway";

type Owner = { workspaceId: string; telegramId: string; svc: string };
type Delivery = { platform: "telegram" | "slack"; chatId: string; threadId?: string };

async function workspace(): Promise<Owner> {
  const ws = await createWorkspaceAsync("Gateway Owner");
  const { token } = await issueServiceToken(ws.workspaceId);
  return { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId, svc: token };
}

async function jobFor(request: APIRequestContext, o: Owner, user: { platform: string; id: string }, delivery?: Delivery): Promise<CreatedJob> {
  return startJob(request, o.svc, { user, ...(delivery ? { delivery: delivery as Record<string, string> } : {}) });
}

const telegramCalls = async (chat: string) => (await telegramFake.calls({ chat })).filter((c) => c.method !== "getMe");

/** Nothing of a link, and no URL at all, in what the worker got back. */
async function expectNoLeak(res: { text(): Promise<string>; headers(): Record<string, string> }, linkIds: string[]) {
  const text = await res.text();
  const headers = JSON.stringify(res.headers());
  expect(text).not.toMatch(/http/i);
  for (const id of linkIds) {
    expect(text).not.toContain(id);
    expect(headers).not.toContain(id);
    expect(text).not.toContain(id.slice(0, 12));
  }
}

const delivered = (platform: "telegram" | "slack", type = "settings_link") => ({ type, delivered: true, platform, expiresAt: expect.stringMatching(ISO) });
const notDelivered = (reason: string, type = "settings_link", extra: Record<string, unknown> = {}) => ({
  type,
  delivered: false,
  reason,
  message: expect.stringMatching(/^[^\n]{20,200}$/),
  ...extra,
});

async function auditOf(workspaceId: string, action: string) {
  return sql<{ data: Record<string, unknown>; target: string; actor_type: string }>(
    "SELECT data, target, actor_type::text FROM audit_events WHERE workspace_id = $1 AND action = $2 ORDER BY seq",
    [workspaceId, action],
  );
}

/** The interstitial of a link, as a preview bot would fetch it: 200 if it opens, 410 if not. */
async function linkStatus(request: APIRequestContext, url: string) {
  return (await request.get(url, { headers: { "X-Forwarded-For": randomIp() }, maxRedirects: 0 })).status();
}

test.describe("Telegram, private chat", () => {
  test("delivered: one sendMessage with a url button (plain-http public URL), preview off, thread kept, no link in the text", async ({ request }) => {
    const o = await workspace();
    await telegramFake.user({ id: Number(o.telegramId), state: "started" });
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId, threadId: "77" });
    const res = await askGateway(request, PORTAL, job.token, "settings-link", { section: "secrets", reason: "I need your OpenAI key" });
    const calls = await telegramCalls(o.telegramId);
    const links = linkUrlsIn(calls);
    await expectJson(res, 200, delivered("telegram"));
    await expectNoLeak(res, links.map(linkIdOf));

    expect(calls.map((c) => [c.method, c.chat, c.status])).toEqual([["sendMessage", o.telegramId, 200]]);
    const body = calls[0]!.body;
    expect(body).toMatchObject({ chat_id: Number(o.telegramId), message_thread_id: 77, link_preview_options: { is_disabled: true } });
    expect(body.parse_mode).toBeUndefined();
    expect(String(body.text)).toContain("I need your OpenAI key");
    expect(String(body.text)).not.toMatch(/http|\/settings/);
    const buttons = telegramButtons(calls[0]!);
    expect(buttons).toEqual([{ text: "Open settings", url: expect.stringMatching(new RegExp(`^${PORTAL}/settings\\?s=[A-Za-z0-9_-]{43}$`)) }]);

    // A preview bot's GET leaves it usable; it opens on the secrets page.
    expect(await linkStatus(request, links[0]!)).toBe(200);
    const open = await request.post(`${PORTAL}/settings/open`, { form: { s: linkIdOf(links[0]!) }, headers: { Origin: PORTAL, "X-Forwarded-For": randomIp() }, maxRedirects: 0 });
    expect(open.status()).toBe(303);
    expect(open.headers().location).toBe("/settings/secrets");

    const [audit] = await auditOf(o.workspaceId, "gateway.link.delivered");
    expect(audit).toMatchObject({ actor_type: "job", data: { type: "settings_link", platform: "telegram", reason: null } });
  });

  const refusals: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
    ["never started the bot", { state: "never_started" }, "user_must_start_bot", {}],
    ["blocked the bot", { state: "blocked" }, "user_must_start_bot", {}],
    ["Telegram answers 429", { error: { error_code: 429, description: "Too Many Requests: retry after 30", retry_after: 30 } }, "rate_limited", { retryAfterSeconds: 30 }],
    ["Telegram answers 502", { error: { error_code: 502, description: "Bad Gateway" } }, "platform_unavailable", {}],
  ];
  for (const [name, spec, reason, extra] of refusals) {
    test(`not delivered when the user ${name}: ${reason}, and the link that was tried never opens`, async ({ request }) => {
      const o = await workspace();
      await telegramFake.user({ id: Number(o.telegramId), ...spec });
      const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
      const res = await askGateway(request, PORTAL, job.token, "settings-link");
      const calls = await telegramCalls(o.telegramId);
      await expectJson(res, 200, notDelivered(reason, "settings_link", extra));
      await expectNoLeak(res, linkUrlsIn(calls).map(linkIdOf));
      expect(calls.every((c) => c.method === "sendMessage" && c.status >= 400)).toBe(true);
      for (const url of linkUrlsIn(calls)) expect(await linkStatus(request, url)).toBe(410);
      const [audit] = await auditOf(o.workspaceId, "gateway.link.failed");
      expect(audit!.data).toEqual({ type: "settings_link", platform: "telegram", reason });
      expect(await auditOf(o.workspaceId, "link.created")).toEqual([]);
    });
  }

  test("a user Telegram has never seen (chat not found) must start the bot", async ({ request }) => {
    const o = await workspace();
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
    const res = await askGateway(request, PORTAL, job.token, "settings-link");
    await expectJson(res, 200, notDelivered("user_must_start_bot"));
  });
});

test.describe("Telegram, groups and channels", () => {
  test("a group: membership checked, the button goes to the owner privately, the thread gets a link-free notice", async ({ request }) => {
    const o = await workspace();
    const group = randomGroupId();
    await telegramFake.user({ id: Number(o.telegramId) });
    await telegramFake.chat({ id: Number(group), type: "supergroup", title: "Team", members: { [o.telegramId]: "member" } });
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: group, threadId: "12" });
    const res = await askGateway(request, PORTAL, job.token, "settings-link");
    const inGroup = await telegramCalls(group);
    const inPrivate = await telegramCalls(o.telegramId);
    await expectJson(res, 200, delivered("telegram"));
    await expectNoLeak(res, linkUrlsIn(inPrivate).map(linkIdOf));

    expect(inGroup.map((c) => c.method)).toEqual(["getChat", "getChatMember", "sendMessage"]);
    expect(inGroup[1]!.body).toMatchObject({ chat_id: Number(group), user_id: Number(o.telegramId) });
    const notice = inGroup[2]!.body;
    expect(notice).toMatchObject({ chat_id: Number(group), message_thread_id: 12, link_preview_options: { is_disabled: true } });
    expect(notice.reply_markup).toBeUndefined();
    expect(JSON.stringify(notice)).not.toMatch(/http|settings\?s=/);

    expect(inPrivate.map((c) => c.method)).toEqual(["sendMessage"]);
    expect(inPrivate[0]!.body.message_thread_id).toBeUndefined();
    expect(telegramButtons(inPrivate[0]!)).toHaveLength(1);
    expect(await linkStatus(request, linkUrlsIn(inPrivate)[0]!)).toBe(200);
  });

  for (const status of ["left", "kicked"] as const) {
    test(`a group the owner has ${status}: chat_not_owned, and nothing is sent anywhere`, async ({ request }) => {
      const o = await workspace();
      const group = randomGroupId();
      await telegramFake.user({ id: Number(o.telegramId) });
      await telegramFake.chat({ id: Number(group), type: "group", members: { [o.telegramId]: status } });
      const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: group });
      await expectJson(await askGateway(request, PORTAL, job.token, "settings-link"), 200, notDelivered("chat_not_owned"));
      expect((await telegramCalls(group)).map((c) => c.method)).toEqual(["getChat", "getChatMember"]);
      expect(await telegramCalls(o.telegramId)).toEqual([]);
    });
  }

  test("a group whose owner never started the bot: user_must_start_bot, and nothing is posted in the group", async ({ request }) => {
    const o = await workspace();
    const group = randomGroupId();
    await telegramFake.user({ id: Number(o.telegramId), state: "never_started" });
    await telegramFake.chat({ id: Number(group), type: "supergroup", members: { [o.telegramId]: "administrator" } });
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: group, threadId: "3" });
    await expectJson(await askGateway(request, PORTAL, job.token, "settings-link"), 200, notDelivered("user_must_start_bot"));
    expect((await telegramCalls(group)).map((c) => c.method)).toEqual(["getChat", "getChatMember"]);
    expect((await telegramCalls(o.telegramId)).map((c) => [c.method, c.status])).toEqual([["sendMessage", 403]]);
  });

  test("a channel is unsupported_chat: only getChat is called", async ({ request }) => {
    const o = await workspace();
    const channel = randomGroupId();
    await telegramFake.user({ id: Number(o.telegramId) });
    await telegramFake.chat({ id: Number(channel), type: "channel", members: { [o.telegramId]: "member" } });
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: channel });
    await expectJson(await askGateway(request, PORTAL, job.token, "settings-link"), 200, notDelivered("unsupported_chat"));
    expect((await telegramCalls(channel)).map((c) => c.method)).toEqual(["getChat"]);
    expect(await telegramCalls(o.telegramId)).toEqual([]);
  });
});

test.describe("Slack", () => {
  async function slackOwner(request: APIRequestContext, spec: Record<string, unknown> = {}) {
    const o = await workspace();
    const user = randomSlackUser();
    const channel = randomSlackChannel();
    const id = `${SLACK_TEAM}:${user}`;
    await gatehouseAsync("member", "add", "--workspace", o.workspaceId, "--platform", "slack", "--id", id, "--name", "Slack Sam");
    await slackFake.channel({ id: channel, members: [user], ...spec });
    const job = await jobFor(request, o, { platform: "slack", id }, { platform: "slack", chatId: channel, threadId: "1700000000.000100" });
    return { o, user, channel, job };
  }

  test("delivered: one chat.postEphemeral to the owner only, in the thread, with one button", async ({ request }) => {
    const { user, channel, job } = await slackOwner(request);
    const res = await askGateway(request, PORTAL, job.token, "settings-link");
    const calls = await slackFake.calls({ chat: channel });
    await expectJson(res, 200, delivered("slack"));
    await expectNoLeak(res, linkUrlsIn(calls).map(linkIdOf));
    expect(calls.map((c) => c.method)).toEqual(["chat.postEphemeral"]);
    expect(calls[0]!.body).toMatchObject({ channel, user, thread_ts: "1700000000.000100" });
    expect(String(calls[0]!.body.text)).not.toMatch(/http/);
    const buttons = slackButtons(calls[0]!);
    expect(buttons).toEqual([expect.objectContaining({ text: expect.objectContaining({ text: "Open settings" }), url: expect.stringMatching(new RegExp(`^${PORTAL}/settings\\?s=`)) })]);
    expect(await linkStatus(request, buttons[0]!.url)).toBe(200);
  });

  const refusals: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
    ["the owner is not in the channel", { members: [] }, "user_not_in_channel", {}],
    ["the channel is not found", { error: { error: "channel_not_found" } }, "user_not_in_channel", {}],
    ["Slack rate-limits", { error: { error: "ratelimited", retryAfter: 20 } }, "rate_limited", { retryAfterSeconds: 20 }],
    ["Slack answers invalid_auth", { error: { error: "invalid_auth" } }, "platform_unavailable", {}],
  ];
  for (const [name, spec, reason, extra] of refusals) {
    test(`not delivered when ${name}: ${reason}`, async ({ request }) => {
      const { o, channel, job } = await slackOwner(request, spec);
      const res = await askGateway(request, PORTAL, job.token, "settings-link");
      await expectJson(res, 200, notDelivered(reason, "settings_link", extra));
      const calls = await slackFake.calls({ chat: channel });
      await expectNoLeak(res, linkUrlsIn(calls).map(linkIdOf));
      expect(calls.some((c) => c.method === "chat.postMessage")).toBe(false);
      const [audit] = await auditOf(o.workspaceId, "gateway.link.failed");
      expect(audit!.data).toEqual({ type: "settings_link", platform: "slack", reason });
    });
  }
});

test.describe("reasons before any platform call", () => {
  test("no delivery context, not_admin for a member, and the per-job limit (10 per 10 minutes)", async ({ request }) => {
    const o = await workspace();
    const memberId = randomTelegramId();
    await addMemberAsync(o.workspaceId, memberId, "Plain Member");
    await telegramFake.user([{ id: Number(o.telegramId) }, { id: Number(memberId) }]);

    const bare = await jobFor(request, o, { platform: "telegram", id: o.telegramId });
    await expectJson(await askGateway(request, PORTAL, bare.token, "settings-link"), 200, notDelivered("no_delivery_context"));

    const member = await jobFor(request, o, { platform: "telegram", id: memberId }, { platform: "telegram", chatId: memberId });
    await expectJson(await askGateway(request, PORTAL, member.token, "settings-link", { section: "admin" }), 200, notDelivered("not_admin"));
    expect(await telegramCalls(memberId)).toEqual([]);

    const owner = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
    const adminAsk = await askGateway(request, PORTAL, owner.token, "settings-link", { section: "admin" });
    await expectJson(adminAsk, 200, delivered("telegram"));
    const [adminCall] = await telegramCalls(o.telegramId);
    expect(telegramButtons(adminCall!)).toEqual([expect.objectContaining({ text: "Open admin console" })]);

    // Nine more attempts fit the window of ten; the eleventh is refused, with when to ask again.
    for (let i = 0; i < 9; i++) expect(((await (await askGateway(request, PORTAL, owner.token, "settings-link")).json()) as { delivered: boolean }).delivered).toBe(true);
    const limited = await askGateway(request, PORTAL, owner.token, "settings-link");
    await expectJson(limited, 200, notDelivered("rate_limited", "settings_link", { retryAfterSeconds: expect.any(Number) }));
    expect((await telegramCalls(o.telegramId)).length).toBe(10);
  });

  test("bad bodies are 400 validation_failed and count nothing", async ({ request }) => {
    const o = await workspace();
    await telegramFake.user({ id: Number(o.telegramId) });
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
    const cases: [GatewayPath, unknown][] = [
      ["settings-link", { section: "billing" }],
      ["settings-link", { url: "https://x.test" }],
      ["settings-link", { reason: "x".repeat(201) }],
      ["settings-link", { reason: "open evil.example now" }],
      ["settings-link", { reason: "line one\nline two" }],
      ["integrations/connect", { provider: "github" }],
      ["integrations/connect", { provider: "Not An Id" }],
      ["integrations/connect", {}],
      ["mcp-login", { server: "http://mcp.example.test/" }],
      ["mcp-login", { server: "https://user:pw@mcp.example.test/" }],
      ["mcp-login", { server: "not a url" }],
    ];
    for (const [path, body] of cases) {
      const res = await askGateway(request, PORTAL, job.token, path, body as Record<string, unknown>);
      expect(res.status(), `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
    }
    expect(await telegramCalls(o.telegramId)).toEqual([]);
    expect(await auditOf(o.workspaceId, "gateway.link.failed")).toEqual([]);
  });

  test("integrations/connect and mcp-login deliver links of their purpose", async ({ request }) => {
    const o = await workspace();
    await telegramFake.user({ id: Number(o.telegramId) });
    // The github template's endpoints are fixed, so opening its link reaches no network: it only builds the URL.
    await sql("INSERT INTO providers (workspace_id, id, template, client_id, scopes) VALUES ($1, 'github', 'github', 'e2e', 'read:user')", [o.workspaceId]);
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
    await expectJson(await askGateway(request, PORTAL, job.token, "integrations/connect", { provider: "github" }), 200, delivered("telegram", "integration_connect"));
    await expectJson(await askGateway(request, PORTAL, job.token, "mcp-login", { server: "https://mcp.example.test/mcp" }), 200, delivered("telegram", "mcp_login"));
    const calls = await telegramCalls(o.telegramId);
    expect(calls.map((c) => telegramButtons(c)[0]!.text)).toEqual(["Connect github", "Sign in"]);
    expect(calls.map((c) => String(c.body.text)).join("\n")).not.toMatch(/mcp\.example|http/);
    const [connectUrl, mcpUrl] = linkUrlsIn(calls);
    const page = await request.get(mcpUrl!, { headers: { "X-Forwarded-For": randomIp() } });
    expect(await page.text()).toContain("mcp.example.test");
    const open = await request.post(`${PORTAL}/settings/open`, { form: { s: linkIdOf(connectUrl!) }, headers: { Origin: PORTAL, "X-Forwarded-For": randomIp() }, maxRedirects: 0 });
    // Straight into GitHub's authorization (SPEC §7): PKCE S256, a state, our callback.
    const authorize = new URL(open.headers().location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: "e2e",
      redirect_uri: `${PORTAL}/settings/connections/callback`,
      response_type: "code",
      code_challenge_method: "S256",
      scope: "read:user",
    });
    expect(authorize.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Another workspace's provider is as unknown as nobody's.
    const other = await workspace();
    await telegramFake.user({ id: Number(other.telegramId) });
    const theirs = await jobFor(request, other, { platform: "telegram", id: other.telegramId }, { platform: "telegram", chatId: other.telegramId });
    expect((await askGateway(request, PORTAL, theirs.token, "integrations/connect", { provider: "github" })).status()).toBe(400);
  });

  test("the job token is required: none, a service token, a completed job's token are 401", async ({ request }) => {
    const o = await workspace();
    const job = await jobFor(request, o, { platform: "telegram", id: o.telegramId }, { platform: "telegram", chatId: o.telegramId });
    expect((await request.post(`${API}/api/v1/gateway/settings-link`, { data: {} })).status()).toBe(401);
    expect((await askGateway(request, API, o.svc, "settings-link")).status()).toBe(401);
    await request.post(`${API}/api/v1/jobs/${job.jobId}/complete`, { headers: { Authorization: `Bearer ${o.svc}` } });
    expect((await askGateway(request, API, job.token, "settings-link")).status()).toBe(401);
  });
});

test.describe("delivery validated at job creation (422 invalid_delivery)", () => {
  const cases: [string, (o: Owner) => Delivery, string][] = [
    ["someone else's private chat", () => ({ platform: "telegram", chatId: randomTelegramId() }), "chat_not_owned"],
    ["a chat id that is not Telegram's", () => ({ platform: "telegram", chatId: "@somechannel" }), "invalid_chat_id"],
    ["Slack for an owner without a Slack identity", () => ({ platform: "slack", chatId: randomSlackChannel() }), "no_slack_identity"],
  ];
  for (const [name, delivery, reason] of cases) {
    test(name, async ({ request }) => {
      const o = await workspace();
      const res = await request.post(`${API}/api/v1/jobs`, {
        headers: { Authorization: `Bearer ${o.svc}`, "X-Forwarded-For": randomIp() },
        data: { user: { platform: "telegram", id: o.telegramId }, delivery: delivery(o) },
      });
      expect(res.status()).toBe(422);
      expect(await res.json()).toEqual({ error: { code: "invalid_delivery", message: expect.any(String), details: { reason } } });
      const [count] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE workspace_id = $1", [o.workspaceId]);
      expect(count!.n).toBe(0);
    });
  }
});
