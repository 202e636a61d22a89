// The chat platforms of `npm run dev`. For each platform without a configured bot token, the in-repo fake
// (test/fakes/) runs on 127.0.0.1 with a fresh dev token and the demo people registered, so every gateway journey
// works offline, and its /__fake/inbox page shows what each chat received. Only scripts/dev.ts starts them: app/ and
// lib/ never import test/ (eslint), and dev.ts refuses NODE_ENV=production.
import { randomBytes, randomInt } from "node:crypto";
import { startSlackFake } from "../../test/fakes/slack-api";
import { startTelegramFake } from "../../test/fakes/telegram-api";
import { DEMO } from "./seed";
import { ServiceError } from "./services";

export type DevChat = {
  /** What `next dev` needs to reach the fakes: TELEGRAM_BOT_TOKEN + TELEGRAM_API_ROOT, SLACK_BOT_TOKEN + SLACK_API_URL. */
  env: Record<string, string>;
  inboxes: { platform: "Telegram" | "Slack"; url: string }[];
  stop(): Promise<void>;
};

type Wanted = { port: number; portVariable: string } | null;

async function listening<T>(start: () => Promise<T>, { port, portVariable }: { port: number; portVariable: string }): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EADDRINUSE") throw new ServiceError(`port ${port} is in use; stop what holds it or set ${portVariable} to a free port`);
    throw err;
  }
}

/** `telegram` / `slack`: null when that platform has a real bot token configured (the fake then stays off). */
export async function startDevChat({ telegram, slack }: { telegram: Wanted; slack: Wanted }): Promise<DevChat> {
  const env: Record<string, string> = {};
  const inboxes: DevChat["inboxes"] = [];
  const stops: (() => Promise<void>)[] = [];
  const stop = () => Promise.all(stops.map((s) => s().catch(() => undefined))).then(() => undefined);
  try {
    if (telegram) {
      const botToken = `${randomInt(1_000_000_000, 9_999_999_999)}:${randomBytes(26).toString("base64url")}`;
      const fake = await listening(() => startTelegramFake({ port: telegram.port, botToken, botUsername: "gatehouse_dev_bot" }), telegram);
      stops.push(fake.stop);
      // Alice has started the bot; Mallory never did, so a job of hers shows user_must_start_bot.
      fake.user([
        { id: DEMO.owner.externalId, state: "started", firstName: "Alice" },
        { id: DEMO.member.externalId, state: "never_started", firstName: "Mallory" },
      ]);
      fake.chat({ id: DEMO.telegramGroup.chatId, type: "group", title: DEMO.telegramGroup.title, members: { [DEMO.owner.externalId]: "creator", [DEMO.member.externalId]: "member" } });
      Object.assign(env, { TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_API_ROOT: fake.url });
      inboxes.push({ platform: "Telegram", url: `${fake.url}/__fake/inbox` });
    }
    if (slack) {
      const botToken = `xoxb-dev-${randomBytes(18).toString("hex")}`;
      const fake = await listening(() => startSlackFake({ port: slack.port, botToken, teamId: DEMO.slack.teamId, teamName: DEMO.workspaceName }), slack);
      stops.push(fake.stop);
      fake.channel({ id: DEMO.slack.channelId, name: DEMO.slack.channelName, members: [DEMO.slack.ownerUserId], botInChannel: true });
      Object.assign(env, { SLACK_BOT_TOKEN: botToken, SLACK_API_URL: fake.url });
      inboxes.push({ platform: "Slack", url: new URL("/__fake/inbox", fake.url).href });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, inboxes, stop };
}

/** The banner's chat lines: the inboxes, then the gateway journey as an orchestrator and its agent would run it. */
export function journeyLines({ publicUrl, serviceToken, inboxes }: { publicUrl: string; serviceToken: string; inboxes: DevChat["inboxes"] }): string[] {
  const alice = DEMO.owner.externalId;
  const has = (platform: DevChat["inboxes"][number]["platform"]) => inboxes.some((i) => i.platform === platform);
  const lines = [
    ...(inboxes.length ? [`  Chat inboxes:   ${inboxes.map((i) => `${i.url} (${i.platform})`).join(", ")}`] : []),
    "",
    "  An agent asks, Alice gets a button (this service token of the demo workspace is revoked when you stop):",
    `    TOKEN=${serviceToken}`,
    `    JOB_TOKEN=$(curl -s -X POST ${publicUrl}/api/v1/jobs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `      -d '{"user":{"platform":"telegram","id":"${alice}"},"delivery":{"platform":"telegram","chatId":"${alice}"}}' \\`,
    `      | node -pe 'JSON.parse(fs.readFileSync(0)).token')`,
    `    curl -s -X POST ${publicUrl}/api/v1/gateway/settings-link -H "Authorization: Bearer $JOB_TOKEN" \\`,
    `      -H 'Content-Type: application/json' -d '{"reason":"to add your OpenAI key"}'`,
    has("Telegram")
      ? "    Then open the Telegram inbox and press Open settings."
      : "    TELEGRAM_BOT_TOKEN is set, so this goes to your real bot: use the Telegram id of a member who has started it.",
  ];
  const others = [
    has("Telegram") && `{"platform":"telegram","chatId":"${DEMO.telegramGroup.chatId}"}  ${DEMO.telegramGroup.title}: a notice there, the button privately`,
    has("Slack") && `{"platform":"slack","chatId":"${DEMO.slack.channelId}"}  #${DEMO.slack.channelName}: only Alice sees it (Slack inbox)`,
  ].filter((o): o is string => typeof o === "string");
  if (others.length) lines.push("    Or create the job with another delivery:", ...others.map((o) => `      ${o}`));
  lines.push("");
  return lines;
}
