// The environment of the server Playwright tests run against; specs seed data through the real CLI with it.
import { createHash, randomBytes } from "node:crypto";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://localhost:${E2E_PORT}`;
/** A second server on the same build and database with no identity provider: links open straight in. */
export const E2E_PLAIN_PORT = Number(process.env.E2E_PLAIN_PORT ?? 3101);
export const E2E_PLAIN_BASE_URL = `http://localhost:${E2E_PLAIN_PORT}`;
export const E2E_OIDC_PORT = Number(process.env.E2E_OIDC_PORT ?? 3998);
export const E2E_TELEGRAM_BOT_TOKEN = "123456:e2e-test-bot-token";
/** The in-repo fakes of the Telegram Bot API and the Slack Web API (test/fakes), started by scripts/e2e-server.ts. */
export const E2E_TELEGRAM_FAKE_PORT = Number(process.env.E2E_TELEGRAM_FAKE_PORT ?? 3994);
export const E2E_SLACK_FAKE_PORT = Number(process.env.E2E_SLACK_FAKE_PORT ?? 3993);
export const E2E_TELEGRAM_FAKE_URL = `http://127.0.0.1:${E2E_TELEGRAM_FAKE_PORT}`;
export const E2E_SLACK_FAKE_URL = `http://127.0.0.1:${E2E_SLACK_FAKE_PORT}/api/`;
export const E2E_SLACK_BOT_TOKEN = "xoxb-e2e-test-slack-token";
export const E2E_SLACK_TEAM_ID = "T0E2ETEAM";
/**
 * Third-party authorization servers (real oidc-provider instances, test/fakes/oauth-as.ts) started by
 * scripts/e2e-server.ts: one stands for a provider users connect (refresh-token rotation, revocation,
 * introspection); the other backs a real MCP SDK server (dynamic registration, resource indicators).
 */
export const E2E_CONNECT_AS_PORT = Number(process.env.E2E_CONNECT_AS_PORT ?? 3992);
export const E2E_CONNECT_AS_URL = `http://127.0.0.1:${E2E_CONNECT_AS_PORT}`;
export const E2E_MCP_PORT = Number(process.env.E2E_MCP_PORT ?? 3991);
export const E2E_MCP_URL = `http://127.0.0.1:${E2E_MCP_PORT}/mcp`;
export const E2E_MCP_AS_PORT = Number(process.env.E2E_MCP_AS_PORT ?? 3990);
export const E2E_MCP_AS_URL = `http://127.0.0.1:${E2E_MCP_AS_PORT}`;
export const E2E_CONNECT_CLIENT_ID = "gatehouse-e2e-connect";
export const E2E_CONNECT_CLIENT_SECRET = "gatehouse-e2e-connect-secret";

// Stable within one run: Playwright imports this file in its own process and in the web server's.
const runSeed = process.env.GATEHOUSE_E2E_SECRETS ?? randomBytes(32).toString("base64");
process.env.GATEHOUSE_E2E_SECRETS = runSeed;

/** The run's audit signing key, from the run's seed so every process agrees: PKCS#8 DER of an Ed25519 seed (RFC 8410). */
export const E2E_AUDIT_SIGNING_KEY = Buffer.concat([
  Buffer.from("302e020100300506032b657004220420", "hex"),
  createHash("sha256").update(`audit-signing:${runSeed}`).digest(),
]).toString("base64");

export const E2E_ENV: Record<string, string> = {
  NODE_ENV: "production",
  // Each test sends its own X-Forwarded-For, standing in for one reverse proxy in front of the server.
  TRUST_PROXY_HOPS: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
  PORT: String(E2E_PORT),
  DATABASE_URL: process.env.E2E_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/gatehouse_e2e",
  REDIS_URL: process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379/2",
  // The scale tests (scripts/scale-harness.ts) run the CLI and the instances on a Redis Cluster instead.
  ...(process.env.E2E_REDIS_CLUSTER_NODES ? { REDIS_URL: "", REDIS_CLUSTER_NODES: process.env.E2E_REDIS_CLUSTER_NODES } : {}),
  GATEHOUSE_PUBLIC_URL: E2E_BASE_URL,
  AUTH_SECRET: `e2e-${runSeed}`,
  GATEHOUSE_MASTER_KEYS: `e2e:${runSeed}`,
  GATEHOUSE_AUDIT_SIGNING_KEY: E2E_AUDIT_SIGNING_KEY,
  SETTINGS_OAUTH_ISSUER: `http://127.0.0.1:${E2E_OIDC_PORT}`,
  SETTINGS_OAUTH_CLIENT_ID: "gatehouse-e2e",
  SETTINGS_OAUTH_CLIENT_SECRET: "gatehouse-e2e-secret",
  SETTINGS_OAUTH_PROVIDER_NAME: "Gatehouse test login",
  TELEGRAM_BOT_TOKEN: E2E_TELEGRAM_BOT_TOKEN,
  TELEGRAM_API_ROOT: E2E_TELEGRAM_FAKE_URL,
  SLACK_BOT_TOKEN: E2E_SLACK_BOT_TOKEN,
  SLACK_API_URL: E2E_SLACK_FAKE_URL,
  RATE_LIMIT_LINK_PER_MINUTE: "20",
  RATE_LIMIT_TELEGRAM_PER_MINUTE: "20",
  // Only the local test providers above: every other outbound URL keeps the full address rules.
  GATEHOUSE_OUTBOUND_ALLOW: [E2E_CONNECT_AS_PORT, E2E_MCP_PORT, E2E_MCP_AS_PORT].map((p) => `127.0.0.1:${p}`).join(","),
};

export const E2E_PLAIN_ENV: Record<string, string> = {
  ...E2E_ENV,
  PORT: String(E2E_PLAIN_PORT),
  GATEHOUSE_PUBLIC_URL: E2E_PLAIN_BASE_URL,
  SETTINGS_OAUTH_ISSUER: "",
  SETTINGS_OAUTH_CLIENT_ID: "",
  SETTINGS_OAUTH_CLIENT_SECRET: "",
  SETTINGS_OAUTH_PROVIDER_NAME: "",
};
