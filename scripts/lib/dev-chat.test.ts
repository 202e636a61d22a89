// `npm run dev`'s chat: the demo seed and the fakes as dev.ts starts them make every journey of the banner work,
// through the real routes and senders; the banner's commands name only deliveries that job creation accepts.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bearer, call } from "@/test/http/routes";
import { journeyLines, startDevChat, type DevChat } from "./dev-chat";
import { DEMO } from "./seed";

let chat: DevChat;
let workspaceId: string;
let serviceToken: string;
let routes: { createJob: unknown; settingsLink: unknown };

const alice = DEMO.owner.externalId;
const json = (token: string) => ({ ...bearer(token), "content-type": "application/json" });

beforeAll(async () => {
  chat = await startDevChat({ telegram: { port: 0, portVariable: "T" }, slack: { port: 0, portVariable: "S" } });
  // As dev.ts hands them to `next dev`; before anything reads the configuration.
  for (const [name, value] of Object.entries(chat.env)) vi.stubEnv(name, value);
  const { seedDemo } = await import("./seed");
  workspaceId = (await seedDemo()).workspaceId;
  const { issueServiceToken } = await import("@/lib/tokens/registry");
  serviceToken = (await issueServiceToken({ workspaceId, actor: { type: "system", id: "test" } })).token;
  routes = {
    createJob: (await import("@/app/api/v1/jobs/route")).POST,
    settingsLink: (await import("@/app/api/v1/gateway/settings-link/route")).POST,
  };
});

afterAll(async () => {
  await chat?.stop();
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

async function ask(user: string, delivery: object) {
  const job = await call(routes.createJob, "/api/v1/jobs", { method: "POST", headers: json(serviceToken), body: JSON.stringify({ user: { platform: "telegram", id: user }, delivery }) });
  expect(job.status).toBe(201);
  const { token } = job.body as { token: string };
  return call(routes.settingsLink, "/api/v1/gateway/settings-link", { method: "POST", headers: json(token), body: JSON.stringify({ reason: "to add your OpenAI key" }) });
}

async function inbox(platform: DevChat["inboxes"][number]["platform"]) {
  const page = chat.inboxes.find((i) => i.platform === platform)!;
  return (await fetch(page.url)).text();
}

describe("the demo seed", () => {
  it("is created once; Alice owns it with her Telegram and Slack accounts, Mallory is a member", async () => {
    const { seedDemo } = await import("./seed");
    const again = await seedDemo();
    expect(again).toMatchObject({ workspaceId, created: false });
    const { db } = await import("@/lib/db/client");
    const members = await db.membership.findMany({ where: { workspaceId }, select: { role: true, user: { select: { identities: { select: { platform: true, externalId: true } } } } } });
    expect(members.map((m) => [m.role, m.user.identities.map((i) => `${i.platform}:${i.externalId}`).sort()]).sort()).toEqual([
      ["member", [`telegram:${DEMO.member.externalId}`]],
      ["owner", [`slack:${DEMO.slack.teamId}:${DEMO.slack.ownerUserId}`, `telegram:${alice}`]],
    ]);
  });

  it("gives Alice her Slack account in a demo workspace seeded before she had one, audited once", async () => {
    const { db } = await import("@/lib/db/client");
    await db.platformIdentity.deleteMany({ where: { platform: "slack", externalId: `${DEMO.slack.teamId}:${DEMO.slack.ownerUserId}` } });
    const { seedDemo } = await import("./seed");
    await seedDemo();
    await seedDemo();
    expect(await db.platformIdentity.count({ where: { platform: "slack", externalId: `${DEMO.slack.teamId}:${DEMO.slack.ownerUserId}` } })).toBe(1);
    // Once by the first seed of this file, once now.
    expect(await db.auditEvent.count({ where: { workspaceId, action: "member.identity_added" } })).toBe(2);
  });
});

describe("the dev chat fakes", () => {
  it("pass next dev a bot token and API root per platform, on loopback", () => {
    expect(Object.keys(chat.env).sort()).toEqual(["SLACK_API_URL", "SLACK_BOT_TOKEN", "TELEGRAM_API_ROOT", "TELEGRAM_BOT_TOKEN"]);
    for (const url of [chat.env.TELEGRAM_API_ROOT!, chat.env.SLACK_API_URL!, ...chat.inboxes.map((i) => i.url)]) expect(new URL(url).hostname).toBe("127.0.0.1");
  });

  it("deliver the banner's journey: Alice's private chat shows the button, which opens her link", async () => {
    const res = await ask(alice, { platform: "telegram", chatId: alice });
    expect(res.body).toMatchObject({ type: "settings_link", delivered: true, platform: "telegram" });
    const page = await inbox("Telegram");
    expect(page).toContain("Reason given by the agent");
    const href = /href="(http:\/\/localhost:3000\/settings\?s=[^"]+)"/.exec(page)?.[1]?.replaceAll("&#38;", "&");
    expect(href).toBeDefined();
    const { GET } = await import("@/app/settings/link/route");
    const id = new URL(href!).searchParams.get("s")!;
    const { LINK_ID_HEADER } = await import("@/lib/http/request");
    const interstitial = await call(GET, "/settings/link", { headers: { [LINK_ID_HEADER]: id } });
    expect(interstitial.status).toBe(200);
    expect(interstitial.text).toContain("Alice (demo)");
  });

  it("deliver to the demo group (a notice there, the button privately) and to the Slack channel", async () => {
    expect((await ask(alice, { platform: "telegram", chatId: DEMO.telegramGroup.chatId })).body).toMatchObject({ delivered: true, platform: "telegram" });
    expect(await inbox("Telegram")).toContain("I sent you a private message with a button.");
    expect((await ask(alice, { platform: "slack", chatId: DEMO.slack.channelId })).body).toMatchObject({ delivered: true, platform: "slack" });
    expect(await inbox("Slack")).toContain("Open settings");
  });

  it("show user_must_start_bot for Mallory, who never started the bot", async () => {
    expect((await ask(DEMO.member.externalId, { platform: "telegram", chatId: DEMO.member.externalId })).body).toMatchObject({ delivered: false, reason: "user_must_start_bot" });
  });

  it("are named in the banner with every delivery it offers", () => {
    const lines = journeyLines({ publicUrl: "http://localhost:3000", serviceToken: "gh_svc_x", inboxes: chat.inboxes }).join("\n");
    for (const inboxPage of chat.inboxes) expect(lines).toContain(inboxPage.url);
    expect(lines).toContain(`"chatId":"${DEMO.telegramGroup.chatId}"`);
    expect(lines).toContain(`"chatId":"${DEMO.slack.channelId}"`);
  });
});
