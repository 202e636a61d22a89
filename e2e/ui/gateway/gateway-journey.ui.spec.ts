// The gateway as people see it (SPEC §7): an orchestrator starts a job with a chat to reply in, the worker asks for a
// settings link, the chat platform (the in-repo fakes) records exactly one button for the owner, a link-preview bot
// fetches it first without spending it, and the owner opens it in a real browser: straight in on the server without
// an identity provider, with Telegram's initData instead of the identity provider on the other, and refused when the
// initData names someone else. Then the same for a Telegram group, for Slack, and for a link a newer one replaced.
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { sign } from "@tma.js/init-data-node";
import { createWorkspaceAsync, gatehouseAsync, issueServiceToken, sql, startJob, type Workspace } from "../../helpers/api-seed";
import { randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_OIDC_PORT, E2E_PLAIN_BASE_URL, E2E_TELEGRAM_BOT_TOKEN } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { askGateway, linkIdOf, randomGroupId, randomSlackChannel, randomSlackUser, SLACK_TEAM, slackButtons, slackFake, telegramButtons, telegramFake } from "../../helpers/gateway";
import { snap, snapWidths } from "../../helpers/screenshots";
import type { TelegramCall } from "../../../test/fakes/telegram-api";

const SLACK_THREAD = "1700000000.000100";

type Delivery = { platform: "telegram" | "slack"; chatId: string; threadId?: string };

/** A workspace whose owner started the bot (the fake knows them), and a job of theirs that replies in `delivery`. */
async function ownerJob(request: APIRequestContext, ownerName: string, delivery?: (ws: Workspace) => Delivery) {
  const ws = await createWorkspaceAsync(ownerName);
  await telegramFake.user({ id: ws.ownerTelegramId, firstName: ownerName.split(" ")[0] });
  const service = await issueServiceToken(ws.workspaceId);
  const job = await startJob(request, service.token, {
    user: { platform: "telegram", id: ws.ownerTelegramId },
    delivery: delivery ? delivery(ws) : { platform: "telegram", chatId: ws.ownerTelegramId },
  });
  return { ws, job };
}

async function askSettingsLink(request: APIRequestContext, base: string, token: string, platform: "telegram" | "slack") {
  const res = await askGateway(request, base, token, "settings-link");
  expect(res.status(), await res.text()).toBe(200);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toEqual({ type: "settings_link", delivered: true, platform, expiresAt: expect.any(String) });
  // The worker learns that a button was sent, never where it points.
  expect(await res.text()).not.toMatch(/http|settings\?s=/);
}

/** The one message the fake recorded in the owner's private chat: one url button (the public URL is http) to `base`. */
async function ownerButton(chatId: string, base: string): Promise<string> {
  const sent = await telegramFake.calls({ chat: chatId, method: "sendMessage" });
  expect(sent, "exactly one message to the owner").toHaveLength(1);
  const call = sent[0]! as TelegramCall;
  expect(call.status).toBe(200);
  expect(call.body.link_preview_options).toEqual({ is_disabled: true });
  expect(call.body.message_thread_id).toBeUndefined();
  const buttons = telegramButtons(call);
  expect(buttons, "one button").toHaveLength(1);
  expect(buttons[0]!.web_app, "a url button: web_app takes https only").toBeUndefined();
  const url = buttons[0]!.url!;
  expect(url).toMatch(new RegExp(`^${base.replace(/[.:/]/g, "\\$&")}/settings\\?s=[A-Za-z0-9_-]{43}$`));
  const text = String(call.body.text);
  expect(text).toContain("Your agent asks you to open your settings");
  expect(text, "no link in the text").not.toMatch(/http|localhost|settings\?s=/);
  expect(text).not.toContain(linkIdOf(url));
  return url;
}

/** A chat client's link-preview bot: a plain GET without cookies. It sees the interstitial and spends nothing. */
async function previewBotFetches(request: APIRequestContext, url: string) {
  const res = await request.get(url, { maxRedirects: 0, headers: { "User-Agent": "TelegramBot (like TwitterBot)" } });
  expect(res.status()).toBe(200);
  expect(res.headers()["cache-control"]).toBe("no-store");
  expect(res.headers()["referrer-policy"]).toBe("no-referrer");
  expect(res.headers()["x-robots-tag"]).toContain("noindex");
  expect(res.headers()["set-cookie"]).toBeUndefined();
  expect(await res.text()).toContain("Continue");
}

/** The person presses Continue on the interstitial and lands in the portal of `base`. */
async function continueIntoPortal(page: Page, base: string, name: string) {
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${base}/settings`);
  await expect(page.getByRole("heading", { name: `Hello, ${name}` })).toBeVisible();
}

const initDataFor = (telegramId: string, firstName: string) => sign({ user: { id: Number(telegramId), first_name: firstName } }, E2E_TELEGRAM_BOT_TOKEN, new Date());

/** What the page gets inside Telegram: Telegram.WebApp.initData, before any of the page's own scripts run. */
async function insideTelegram(page: Page, initData: string) {
  await page.addInitScript((data) => {
    (window as unknown as { Telegram: unknown }).Telegram = { WebApp: { initData: data } };
  }, initData);
}

async function auditData(workspaceId: string, action: string) {
  const rows = await sql<{ data: Record<string, unknown> }>("SELECT data FROM audit_events WHERE workspace_id = $1 AND action = $2 ORDER BY seq", [workspaceId, action]);
  return rows.map((r) => r.data);
}

test.describe("a private Telegram chat", () => {
  test("(a) no initData, server without an identity provider: preview bot, interstitial, Continue, the owner's portal", async ({ page, request }, testInfo: TestInfo) => {
    const { ws, job } = await ownerJob(request, "Olga Owner");
    await askSettingsLink(request, E2E_PLAIN_BASE_URL, job.token, "telegram");
    const url = await ownerButton(ws.ownerTelegramId, E2E_PLAIN_BASE_URL);
    await previewBotFetches(request, url);

    await page.goto(url);
    await expect(page.getByRole("heading", { name: "Open your settings" })).toBeVisible();
    await expect(page.getByText("Olga Owner")).toBeVisible();
    await expect(page.locator("input[name=tg]")).toHaveValue("");
    await snapWidths(page, testInfo, "gateway-interstitial");

    await continueIntoPortal(page, E2E_PLAIN_BASE_URL, "Olga Owner");
    await snapWidths(page, testInfo, "gateway-portal-landing");
    expect(await auditData(ws.workspaceId, "gateway.link.delivered")).toEqual([{ type: "settings_link", platform: "telegram", reason: null }]);
  });

  test("(b) the owner's initData, server WITH an identity provider: straight into the portal, no identity-provider round trip", async ({ page, request }, testInfo) => {
    const { ws, job } = await ownerJob(request, "Tanya Telegram");
    await askSettingsLink(request, E2E_BASE_URL, job.token, "telegram");
    const url = await ownerButton(ws.ownerTelegramId, E2E_BASE_URL);
    await previewBotFetches(request, url);

    const initData = initDataFor(ws.ownerTelegramId, "Tanya");
    await insideTelegram(page, initData);
    const visited: string[] = [];
    page.on("request", (r) => visited.push(r.url()));
    await page.goto(url);
    await expect(page.getByRole("heading", { name: "Open your settings" })).toBeVisible();
    await expect(page.locator("input[name=tg]")).toHaveValue(initData);
    await snap(page, testInfo, "gateway-interstitial-in-telegram");

    await continueIntoPortal(page, E2E_BASE_URL, "Tanya Telegram");
    expect(visited.filter((u) => u.includes(`:${E2E_OIDC_PORT}`) || new URL(u).pathname.startsWith("/api/auth"))).toEqual([]);
    expect(await auditData(ws.workspaceId, "link.opened")).toEqual([expect.objectContaining({ purpose: "settings", verifiedBy: "telegram" })]);
  });

  test("(b') the owner's initData in the #tgWebAppData fragment (no Telegram script): the same, straight in", async ({ page, request }) => {
    const { ws, job } = await ownerJob(request, "Fenna Fragment");
    await askSettingsLink(request, E2E_BASE_URL, job.token, "telegram");
    const url = await ownerButton(ws.ownerTelegramId, E2E_BASE_URL);
    const initData = initDataFor(ws.ownerTelegramId, "Fenna");
    await page.goto(`${url}#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0`);
    await expect(page.locator("input[name=tg]")).toHaveValue(initData);
    await continueIntoPortal(page, E2E_BASE_URL, "Fenna Fragment");
    expect(await auditData(ws.workspaceId, "link.opened")).toEqual([expect.objectContaining({ verifiedBy: "telegram" })]);
  });

  test("(c) another Telegram user's initData: the 403 'different account' page, no session", async ({ page, request }, testInfo) => {
    const { ws, job } = await ownerJob(request, "Vera Victim");
    // Someone else with a real seat in the same workspace, opening the owner's button from their own Telegram.
    const otherId = randomTelegramId();
    await gatehouseAsync("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", otherId, "--name", "Mallory Member");
    await askSettingsLink(request, E2E_BASE_URL, job.token, "telegram");
    const url = await ownerButton(ws.ownerTelegramId, E2E_BASE_URL);

    await insideTelegram(page, initDataFor(otherId, "Mallory"));
    await page.goto(url);
    const opened = page.waitForResponse((r) => new URL(r.url()).pathname === "/settings/open");
    await page.getByRole("button", { name: "Continue" }).click();
    expect((await opened).status()).toBe(403);
    await expect(page.getByRole("heading", { name: "This link was sent to a different account" })).toBeVisible();
    await expect(page.getByText("You opened it from a Telegram account that is not the one this link belongs to")).toBeVisible();
    await snapWidths(page, testInfo, "gateway-different-account");
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("gh_session");
    expect((await page.goto(`${E2E_BASE_URL}/settings`))?.status()).toBe(401);
    expect(await auditData(ws.workspaceId, "identity.mismatch")).toEqual([expect.objectContaining({ provider: "telegram" })]);
  });

  test("a second settings-link call: the first button shows the 410 page, the second opens", async ({ page, request }, testInfo) => {
    const { ws, job } = await ownerJob(request, "Sam Second");
    await askSettingsLink(request, E2E_PLAIN_BASE_URL, job.token, "telegram");
    await askSettingsLink(request, E2E_PLAIN_BASE_URL, job.token, "telegram");
    const sent = await telegramFake.calls({ chat: ws.ownerTelegramId, method: "sendMessage" });
    expect(sent).toHaveLength(2);
    const [first, second] = sent.map((c) => telegramButtons(c)[0]!.url!);
    expect(first).not.toBe(second);

    const stale = await page.goto(first!);
    expect(stale?.status()).toBe(410);
    await expect(page.getByRole("heading", { name: "This link can no longer be opened" })).toBeVisible();
    await expect(page.getByText("This link has expired or was already used. Ask your agent for a new one.")).toBeVisible();
    await snap(page, testInfo, "gateway-superseded-410");

    await page.goto(second!);
    await continueIntoPortal(page, E2E_PLAIN_BASE_URL, "Sam Second");
  });
});

test("a Telegram supergroup thread: the button goes to the owner's private chat, the thread gets only a link-free notice", async ({ page, request }) => {
  const group = randomGroupId();
  const { ws, job } = await ownerJob(request, "Greta Group", () => ({ platform: "telegram", chatId: group, threadId: "7" }));
  await telegramFake.chat({ id: group, type: "supergroup", title: "Team room", members: { [ws.ownerTelegramId]: "member" } });
  await askSettingsLink(request, E2E_PLAIN_BASE_URL, job.token, "telegram");

  const inGroup = await telegramFake.calls({ chat: group });
  expect(inGroup.map((c) => c.method)).toEqual(["getChat", "getChatMember", "sendMessage"]);
  const notice = inGroup[2]!;
  expect(notice.body).toEqual({ chat_id: Number(group), text: "I sent you a private message with a button.", link_preview_options: { is_disabled: true }, message_thread_id: 7 });
  expect(JSON.stringify(notice.body)).not.toMatch(/http|settings\?s=/);

  const url = await ownerButton(ws.ownerTelegramId, E2E_PLAIN_BASE_URL);
  await previewBotFetches(request, url);
  await page.goto(url);
  await continueIntoPortal(page, E2E_PLAIN_BASE_URL, "Greta Group");
});

test("Slack: one ephemeral message for the member only, in the thread, whose button opens the portal", async ({ page, request }) => {
  const ws = await createWorkspaceAsync("Owen Owner");
  const slackUser = randomSlackUser();
  const identity = `${SLACK_TEAM}:${slackUser}`;
  await gatehouseAsync("member", "add", "--workspace", ws.workspaceId, "--platform", "slack", "--id", identity, "--name", "Sofia Slack");
  const channel = randomSlackChannel();
  await slackFake.channel({ id: channel, members: [slackUser] });
  const service = await issueServiceToken(ws.workspaceId);
  const job = await startJob(request, service.token, { user: { platform: "slack", id: identity }, delivery: { platform: "slack", chatId: channel, threadId: SLACK_THREAD } });
  await askSettingsLink(request, E2E_PLAIN_BASE_URL, job.token, "slack");

  const calls = await slackFake.calls({ chat: channel });
  expect(calls.map((c) => [c.method, c.status])).toEqual([["chat.postEphemeral", 200]]);
  expect(calls[0]!.body).toMatchObject({ channel, user: slackUser, thread_ts: SLACK_THREAD });
  expect(String(calls[0]!.body.text)).not.toMatch(/http|settings\?s=/);
  const buttons = slackButtons(calls[0]!);
  expect(buttons).toHaveLength(1);
  const url = buttons[0]!.url;
  expect(url).toMatch(new RegExp(`^${E2E_PLAIN_BASE_URL.replace(/[.:/]/g, "\\$&")}/settings\\?s=[A-Za-z0-9_-]{43}$`));

  await previewBotFetches(request, url);
  await page.goto(url);
  await expect(page.getByText("Sofia Slack")).toBeVisible();
  await continueIntoPortal(page, E2E_PLAIN_BASE_URL, "Sofia Slack");
});
