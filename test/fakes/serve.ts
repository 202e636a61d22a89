// Runs both fakes as their own process (the e2e server, `npm run dev`):
//   tsx test/fakes/serve.ts [--telegram-port N] [--slack-port N]
// Tokens come from TELEGRAM_BOT_TOKEN / SLACK_BOT_TOKEN (defaults below), the Slack team from FAKE_SLACK_TEAM_ID.
// Prints one JSON line {"telegram":{"url","inbox"},"slack":{"url","inbox"}} once both listen; stops on SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { startSlackFake } from "./slack-api";
import { startTelegramFake } from "./telegram-api";

const { values } = parseArgs({ options: { "telegram-port": { type: "string", default: "0" }, "slack-port": { type: "string", default: "0" } } });

const telegram = await startTelegramFake({ port: Number(values["telegram-port"]), botToken: process.env.TELEGRAM_BOT_TOKEN || "123456:dev-fake-telegram-token" });
const slack = await startSlackFake({ port: Number(values["slack-port"]), botToken: process.env.SLACK_BOT_TOKEN || "xoxb-dev-fake-slack-token", teamId: process.env.FAKE_SLACK_TEAM_ID || "T0GATEHOUSE" });

process.stdout.write(
  `${JSON.stringify({
    telegram: { url: telegram.url, inbox: `${telegram.url}/__fake/inbox` },
    slack: { url: slack.url, inbox: new URL("/__fake/inbox", slack.url).href },
  })}\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void Promise.all([telegram.stop(), slack.stop()]).finally(() => process.exit(0));
  });
}
