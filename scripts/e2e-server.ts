// The server Playwright tests run against: a fresh e2e database, the development OIDC provider, the in-repo fakes
// of the Telegram Bot API and the Slack Web API (both servers deliver to them), and the production build
// (`next start`) with the environment of e2e/helpers/env.ts.
import { spawn } from "node:child_process";
import {
  E2E_BASE_URL,
  E2E_CONNECT_AS_PORT,
  E2E_CONNECT_CLIENT_ID,
  E2E_CONNECT_CLIENT_SECRET,
  E2E_ENV,
  E2E_MCP_AS_PORT,
  E2E_MCP_PORT,
  E2E_PLAIN_BASE_URL,
  E2E_OIDC_PORT,
  E2E_PORT,
  E2E_SLACK_BOT_TOKEN,
  E2E_SLACK_FAKE_PORT,
  E2E_SLACK_TEAM_ID,
  E2E_TELEGRAM_BOT_TOKEN,
  E2E_TELEGRAM_FAKE_PORT,
} from "../e2e/helpers/env";
import { startMcpStack } from "../test/fakes/mcp-server";
import { startOAuthAS } from "../test/fakes/oauth-as";
import { startSlackFake } from "../test/fakes/slack-api";
import { startTelegramFake } from "../test/fakes/telegram-api";
import { startDevOidcProvider } from "./dev-oidc";
import { recreateTestDatabase } from "./lib/migrate";

async function main() {
  await recreateTestDatabase(E2E_ENV.DATABASE_URL!);
  const oidc = await startDevOidcProvider({
    port: E2E_OIDC_PORT,
    clients: [
      {
        clientId: E2E_ENV.SETTINGS_OAUTH_CLIENT_ID!,
        clientSecret: E2E_ENV.SETTINGS_OAUTH_CLIENT_SECRET!,
        redirectUris: [`${E2E_BASE_URL}/api/auth/callback/settings`, `${E2E_BASE_URL}/api/admin-auth/callback/admin`],
      },
    ],
  });
  const telegram = await startTelegramFake({ port: E2E_TELEGRAM_FAKE_PORT, botToken: E2E_TELEGRAM_BOT_TOKEN });
  const slack = await startSlackFake({ port: E2E_SLACK_FAKE_PORT, botToken: E2E_SLACK_BOT_TOKEN, teamId: E2E_SLACK_TEAM_ID });
  // Access tokens live 10 minutes: a connection is due for refresh at once (within 5 minutes, capped at half its
  // lifetime), which specs set up by asking the AS for short-lived tokens through its control plane when they need to.
  const connectAs = await startOAuthAS({
    port: E2E_CONNECT_AS_PORT,
    clients: [
      {
        client_id: E2E_CONNECT_CLIENT_ID,
        client_secret: E2E_CONNECT_CLIENT_SECRET,
        redirect_uris: [`${E2E_BASE_URL}/settings/connections/callback`, `${E2E_PLAIN_BASE_URL}/settings/connections/callback`],
      },
    ],
    accessTokenTtlSeconds: 600,
  });
  const mcp = await startMcpStack({ port: E2E_MCP_PORT, asPort: E2E_MCP_AS_PORT });
  const next = spawn("npx", ["next", "start", "-p", String(E2E_PORT)], {
    env: { ...process.env, ...E2E_ENV },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const stop = async (code: number) => {
    next.kill("SIGTERM");
    await Promise.allSettled([oidc.stop(), telegram.stop(), slack.stop(), connectAs.stop(), mcp.stop()]);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  next.on("exit", (code) => void stop(code ?? 1));
}

main().catch((err: unknown) => {
  process.stderr.write(`e2e server failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
