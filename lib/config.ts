// No "server-only" here: scripts (CLI, migrate, dev bootstrap) share this (SPEC §10).
import { createPrivateKey, type KeyObject } from "node:crypto";
import { z } from "zod";

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export type MasterKey = { id: string; key: Buffer };

// Public values, so only the test suite may use them: a deployment that forgot NODE_ENV=production must not start with them.
const TEST_DEFAULTS = {
  AUTH_SECRET: "gatehouse-test-auth-secret-not-for-any-deployment",
  GATEHOUSE_MASTER_KEYS: `test:${Buffer.alloc(32, 7).toString("base64")}`,
};

const seconds = (def: number, min: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number of seconds" })
    .int("must be a whole number of seconds")
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(def);

const positiveInt = (def: number) =>
  z.coerce.number({ error: "must be a whole number" }).int("must be a whole number").min(1, "must be at least 1").default(def);

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const urlWith = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL (${protocols.join(" or ")})`);

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .pipe(urlWith(["http:", "https:"]).optional())
  .optional();

const masterKeys = z.string().transform((raw, ctx): MasterKey[] => {
  const keys: MasterKey[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const idx = part.indexOf(":");
    const id = idx > 0 ? part.slice(0, idx) : "";
    const key = Buffer.from(idx > 0 ? part.slice(idx + 1) : "", "base64");
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
      ctx.addIssue({ code: "custom", message: 'each key must be "<id>:<base64 of 32 bytes>" with id [A-Za-z0-9_-]{1,32}' });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: "custom", message: `key id "${id}" appears twice` });
      return z.NEVER;
    }
    keys.push({ id, key });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: "custom", message: "must list at least one key" });
    return z.NEVER;
  }
  return keys;
});

// Only the parsed key object leaves here: the checkpoint signer (lib/audit/signing.ts) never sees the text.
const auditSigningKey = z.string().transform((raw, ctx): KeyObject => {
  const text = raw.trim();
  const der = Buffer.from(text, "base64");
  let key: KeyObject | undefined;
  try {
    if (der.length > 0 && der.toString("base64").replace(/=+$/, "") === text.replace(/=+$/, "")) {
      key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    }
  } catch {
    key = undefined;
  }
  if (key?.asymmetricKeyType !== "ed25519") {
    ctx.addIssue({ code: "custom", message: "must be the base64 of a PKCS#8 DER Ed25519 private key (openssl genpkey -algorithm ed25519 -outform DER | base64 -w0)" });
    return z.NEVER;
  }
  return key;
});

/** A comma-separated list of host:port, normalised and deduplicated; `[::1]:6379` for IPv6. */
const hostPortList = (example: string) =>
  z.string().transform((raw, ctx): string[] => {
    const entries: string[] = [];
    for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(part);
      const port = m ? Number(m[2]) : 0;
      let host = "";
      try {
        // The WHATWG form, so an entry matches exactly what a URL's host:port becomes (0x7f.1 is 127.0.0.1).
        host = m ? new URL(`http://${m[1]}`).hostname : "";
      } catch {
        host = "";
      }
      if (!host || port < 1 || port > 65535) {
        ctx.addIssue({ code: "custom", message: `"${part}" is not host:port (e.g. ${example})` });
        return z.NEVER;
      }
      entries.push(`${host}:${port}`);
    }
    if (!entries.length) {
      ctx.addIssue({ code: "custom", message: `must list at least one host:port (e.g. ${example})` });
      return z.NEVER;
    }
    return [...new Set(entries)];
  });

// "host:port" each, for tests and development only: these skip the outbound address rules (SPEC §12) and may use http.
const outboundAllow = hostPortList("127.0.0.1:8443, [::1]:8443, mcp.test:443");

/** "host:port" → ioredis's {host, port}; an IPv6 host loses its brackets. */
function redisNode(entry: string) {
  const at = entry.lastIndexOf(":");
  return { host: entry.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(entry.slice(at + 1)) };
}

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATABASE_URL: urlWith(["postgresql:", "postgres:"]).default("postgresql://postgres@127.0.0.1:5432/gatehouse"),
  REDIS_URL: urlWith(["redis:", "rediss:"]).default("redis://127.0.0.1:6379"),
  // SPEC §14: Sentinel or Cluster instead of one node. REDIS_URL then only lends its credentials and TLS (rediss:).
  REDIS_SENTINELS: hostPortList("10.0.0.5:26379,10.0.0.6:26379,10.0.0.7:26379").optional(),
  REDIS_SENTINEL_NAME: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_CLUSTER_NODES: hostPortList("10.0.0.5:6379,10.0.0.6:6379,10.0.0.7:6379").optional(),
  GATEHOUSE_PUBLIC_URL: urlWith(["http:", "https:"]).default("http://localhost:3000"),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  GATEHOUSE_MASTER_KEYS: masterKeys.optional(),
  GATEHOUSE_AUDIT_SIGNING_KEY: auditSigningKey.optional(),
  AUDIT_CHECKPOINT_EVERY: positiveInt(1000),

  SETTINGS_OAUTH_ISSUER: optionalUrl,
  SETTINGS_OAUTH_AUTH_URL: optionalUrl,
  SETTINGS_OAUTH_TOKEN_URL: optionalUrl,
  SETTINGS_OAUTH_USERINFO_URL: optionalUrl,
  SETTINGS_OAUTH_CLIENT_ID: optionalString,
  SETTINGS_OAUTH_CLIENT_SECRET: optionalString,
  SETTINGS_OAUTH_SCOPES: optionalString,
  SETTINGS_OAUTH_PROVIDER_NAME: optionalString,

  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_ROOT: urlWith(["http:", "https:"]).default("https://api.telegram.org"),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_API_URL: urlWith(["http:", "https:"]).default("https://slack.com/api/"),

  LINK_TTL_SECONDS: seconds(900, 60, 86400),
  PORTAL_IDLE_TIMEOUT_SECONDS: seconds(1800, 60, 86400),
  PORTAL_ABSOLUTE_TIMEOUT_SECONDS: seconds(43200, 300, 30 * 86400),
  ADMIN_IDLE_TIMEOUT_SECONDS: seconds(900, 60, 86400),
  ADMIN_ABSOLUTE_TIMEOUT_SECONDS: seconds(28800, 300, 7 * 86400),
  TELEGRAM_INIT_DATA_MAX_AGE_SECONDS: seconds(3600, 30, 86400),
  JOB_TOKEN_TTL_SECONDS: seconds(3600, 60, 86400),
  TOKEN_ROTATION_GRACE_SECONDS: seconds(30, 1, 600),

  TRUST_PROXY_HOPS: z.coerce.number({ error: "must be a whole number" }).int().min(0).max(5).default(1),
  RATE_LIMIT_LINK_PER_MINUTE: positiveInt(30),
  RATE_LIMIT_TELEGRAM_PER_MINUTE: positiveInt(30),
  RATE_LIMIT_TOKEN_PER_MINUTE: positiveInt(1200),
  RATE_LIMIT_UNKNOWN_TOKEN_PER_MINUTE: positiveInt(60),
  RATE_LIMIT_GATEWAY_PER_JOB: positiveInt(10),
  RATE_LIMIT_INVITE_PER_IP_PER_MINUTE: positiveInt(10),
  RATE_LIMIT_INVITE_PER_WORKSPACE_PER_MINUTE: positiveInt(60),

  GATEHOUSE_OUTBOUND_ALLOW: outboundAllow.optional(),
});

type Env = Record<string, string | undefined>;

function cleanEnv(env: Env): Env {
  // Empty strings mean "not set" so `FOO=` in an env file behaves like an absent variable.
  const cleaned: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") cleaned[key] = value;
  }
  return cleaned;
}

type Parsed = z.infer<typeof schema>;

/** Each variable on its own, so the rules between variables still run when another one is broken. */
function fieldsThatParse(cleaned: Env): Partial<Parsed> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    const r = (field as z.ZodType).safeParse(cleaned[key]);
    if (r.success) out[key] = r.data;
  }
  return out as Partial<Parsed>;
}

function requiredSecrets(env: Env): string[] {
  if (env.NODE_ENV === "test") return [];
  const where = env.NODE_ENV === "production" ? "in production" : "(run `npm run dev` once to generate .env.local)";
  const missing = (name: string) => (env[name] ?? "").trim() === "";
  return [
    ...(missing("AUTH_SECRET") ? [`AUTH_SECRET: is required ${where}; 32+ random characters`] : []),
    ...(missing("GATEHOUSE_MASTER_KEYS") ? [`GATEHOUSE_MASTER_KEYS: is required ${where}; "<id>:<base64 of 32 bytes>"`] : []),
    // Outside production a missing key means no checkpoints (auditStatus says so), never a built-in key.
    ...(env.NODE_ENV === "production" && missing("GATEHOUSE_AUDIT_SIGNING_KEY")
      ? ["GATEHOUSE_AUDIT_SIGNING_KEY: is required in production; base64 of a PKCS#8 DER Ed25519 private key (openssl genpkey -algorithm ed25519 -outform DER | base64 -w0)"]
      : []),
    // A client that reaches the app directly writes X-Forwarded-For itself: the default of 1 must be a choice.
    ...(env.NODE_ENV === "production" && missing("TRUST_PROXY_HOPS")
      ? ["TRUST_PROXY_HOPS: is required in production; the number of reverse proxies that append to X-Forwarded-For (0 if clients reach Gatehouse directly)"]
      : []),
  ];
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The rules between variables, on whichever of them parsed. */
function crossFieldProblems(e: Partial<Parsed>): string[] {
  const problems: string[] = [];
  if (e.NODE_ENV === "production" && e.GATEHOUSE_PUBLIC_URL) {
    const url = new URL(e.GATEHOUSE_PUBLIC_URL);
    if (url.protocol !== "https:" && !LOOPBACK.has(url.hostname)) {
      problems.push("GATEHOUSE_PUBLIC_URL: must be https in production (cookies are only Secure on https)");
    }
  }
  // The bot tokens travel to these in every request (in Telegram's URL path): never in clear past this machine.
  if (e.NODE_ENV === "production") {
    for (const key of ["TELEGRAM_API_ROOT", "SLACK_API_URL"] as const) {
      const value = e[key];
      if (value && new URL(value).protocol !== "https:" && !LOOPBACK.has(new URL(value).hostname)) {
        problems.push(`${key}: must be https in production (the bot token is sent with every call)`);
      }
    }
  }
  // An exception to the outbound address rules is an SSRF hole on a real deployment. A production build may only
  // name exact loopback ports (the end-to-end tests run `next start` against local test providers); any other
  // host is refused, and so is a list that does not parse.
  if (e.NODE_ENV === "production" && e.GATEHOUSE_OUTBOUND_ALLOW !== undefined) {
    const remote = e.GATEHOUSE_OUTBOUND_ALLOW.filter((entry) => !LOOPBACK.has(entry.slice(0, entry.lastIndexOf(":"))));
    if (remote.length) problems.push("GATEHOUSE_OUTBOUND_ALLOW: is for tests and development only; in production it may only list loopback host:port entries; unset it");
  }
  const oauthKeys = Object.keys(e).filter((k) => k.startsWith("SETTINGS_OAUTH_") && e[k as keyof Parsed] !== undefined);
  const explicit = [e.SETTINGS_OAUTH_AUTH_URL, e.SETTINGS_OAUTH_TOKEN_URL, e.SETTINGS_OAUTH_USERINFO_URL];
  if (oauthKeys.length > 0) {
    if (!e.SETTINGS_OAUTH_CLIENT_ID) problems.push("SETTINGS_OAUTH_CLIENT_ID: is required when SETTINGS_OAUTH_* is configured");
    if (e.SETTINGS_OAUTH_ISSUER && explicit.some(Boolean)) {
      problems.push("SETTINGS_OAUTH_ISSUER: set either the issuer (OIDC discovery) or the explicit endpoints, not both");
    } else if (!e.SETTINGS_OAUTH_ISSUER && !explicit.every(Boolean)) {
      const missing = ["SETTINGS_OAUTH_AUTH_URL", "SETTINGS_OAUTH_TOKEN_URL", "SETTINGS_OAUTH_USERINFO_URL"].filter((_, i) => !explicit[i]);
      problems.push(`${missing[0]}: set SETTINGS_OAUTH_ISSUER, or all of ${missing.join(", ")}`);
    }
  }
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES) {
    problems.push("REDIS_CLUSTER_NODES: set either REDIS_SENTINELS (with REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES, not both");
  }
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) problems.push("REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS (the name the sentinels monitor the master under)");
  if (e.REDIS_SENTINEL_NAME && !e.REDIS_SENTINELS) problems.push("REDIS_SENTINELS: is required with REDIS_SENTINEL_NAME (host:port of each sentinel)");
  if (e.REDIS_URL) {
    const url = new URL(e.REDIS_URL);
    if (!/^\/?\d*$/.test(url.pathname)) problems.push("REDIS_URL: the path must be a database number (redis://host:6379/0)");
    try {
      decodeURIComponent(url.username);
      decodeURIComponent(url.password);
    } catch {
      problems.push("REDIS_URL: the user or password is not valid percent-encoding (write % as %25)");
    }
  }
  if (e.REDIS_SENTINEL_PASSWORD && !e.REDIS_SENTINELS) problems.push("REDIS_SENTINELS: is required with REDIS_SENTINEL_PASSWORD");
  if (e.REDIS_CLUSTER_NODES && e.REDIS_URL && !["", "/", "/0"].includes(new URL(e.REDIS_URL).pathname)) {
    problems.push("REDIS_URL: a Redis Cluster has only database 0; drop the database number when REDIS_CLUSTER_NODES is set");
  }
  if (e.PORTAL_IDLE_TIMEOUT_SECONDS !== undefined && e.PORTAL_ABSOLUTE_TIMEOUT_SECONDS !== undefined && e.PORTAL_IDLE_TIMEOUT_SECONDS > e.PORTAL_ABSOLUTE_TIMEOUT_SECONDS) {
    problems.push("PORTAL_IDLE_TIMEOUT_SECONDS: must not exceed PORTAL_ABSOLUTE_TIMEOUT_SECONDS");
  }
  if (e.ADMIN_IDLE_TIMEOUT_SECONDS !== undefined && e.ADMIN_ABSOLUTE_TIMEOUT_SECONDS !== undefined && e.ADMIN_IDLE_TIMEOUT_SECONDS > e.ADMIN_ABSOLUTE_TIMEOUT_SECONDS) {
    problems.push("ADMIN_IDLE_TIMEOUT_SECONDS: must not exceed ADMIN_ABSOLUTE_TIMEOUT_SECONDS");
  }
  return problems;
}

export type RedisTopology =
  | { kind: "single"; url: string }
  | { kind: "sentinel"; sentinels: { host: string; port: number }[]; name: string; sentinelPassword?: string; auth: RedisAuth }
  | { kind: "cluster"; nodes: { host: string; port: number }[]; auth: RedisAuth };
export type RedisAuth = { username?: string; password?: string; tls: boolean; db: number };

function redisTopology(e: Parsed): RedisTopology {
  const url = new URL(e.REDIS_URL);
  const auth: RedisAuth = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    tls: url.protocol === "rediss:",
    db: Number(url.pathname.slice(1) || 0) || 0,
  };
  if (e.REDIS_CLUSTER_NODES) return { kind: "cluster", nodes: e.REDIS_CLUSTER_NODES.map(redisNode), auth };
  if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME) {
    return { kind: "sentinel", sentinels: e.REDIS_SENTINELS.map(redisNode), name: e.REDIS_SENTINEL_NAME, ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}), auth };
  }
  return { kind: "single", url: e.REDIS_URL };
}

/** Every problem at once: a bad value never hides another, nor a rule between variables. */
export function parseConfig(env: Env) {
  const cleaned = cleanEnv(env);
  const parsed = schema.safeParse(cleaned);
  const problems = [
    ...requiredSecrets(env),
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`)),
    ...crossFieldProblems(parsed.success ? parsed.data : fieldsThatParse(cleaned)),
  ];
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  const publicUrlParsed = new URL(e.GATEHOUSE_PUBLIC_URL);
  const oauthKeys = Object.keys(e).filter((k) => k.startsWith("SETTINGS_OAUTH_") && e[k as keyof typeof e] !== undefined);
  const settingsOAuth = oauthKeys.length
    ? {
        issuer: e.SETTINGS_OAUTH_ISSUER,
        authorizationUrl: e.SETTINGS_OAUTH_AUTH_URL,
        tokenUrl: e.SETTINGS_OAUTH_TOKEN_URL,
        userinfoUrl: e.SETTINGS_OAUTH_USERINFO_URL,
        clientId: e.SETTINGS_OAUTH_CLIENT_ID ?? "",
        clientSecret: e.SETTINGS_OAUTH_CLIENT_SECRET,
        scopes: e.SETTINGS_OAUTH_SCOPES ?? "openid email profile",
        providerName: e.SETTINGS_OAUTH_PROVIDER_NAME ?? "your identity provider",
      }
    : null;


  const publicUrl = publicUrlParsed;
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redis: redisTopology(e),
    publicUrl: publicUrl.origin,
    secureCookies: publicUrl.protocol === "https:",
    authSecret: e.AUTH_SECRET ?? TEST_DEFAULTS.AUTH_SECRET,
    masterKeys: e.GATEHOUSE_MASTER_KEYS ?? (masterKeys.parse(TEST_DEFAULTS.GATEHOUSE_MASTER_KEYS) as MasterKey[]),
    settingsOAuth,
    telegram: { botToken: e.TELEGRAM_BOT_TOKEN, apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, "") },
    // The Web API client joins method names onto this base, so it must end in exactly one slash.
    slack: { botToken: e.SLACK_BOT_TOKEN, apiUrl: `${e.SLACK_API_URL.replace(/\/+$/, "")}/` },
    ttl: {
      linkSeconds: e.LINK_TTL_SECONDS,
      portalIdleSeconds: e.PORTAL_IDLE_TIMEOUT_SECONDS,
      portalAbsoluteSeconds: e.PORTAL_ABSOLUTE_TIMEOUT_SECONDS,
      adminIdleSeconds: e.ADMIN_IDLE_TIMEOUT_SECONDS,
      adminAbsoluteSeconds: e.ADMIN_ABSOLUTE_TIMEOUT_SECONDS,
      telegramInitDataMaxAgeSeconds: e.TELEGRAM_INIT_DATA_MAX_AGE_SECONDS,
      jobTokenSeconds: e.JOB_TOKEN_TTL_SECONDS,
      tokenRotationGraceSeconds: e.TOKEN_ROTATION_GRACE_SECONDS,
    },
    trustProxyHops: e.TRUST_PROXY_HOPS,
    audit: { signingKey: e.GATEHOUSE_AUDIT_SIGNING_KEY ?? null, checkpointEvery: e.AUDIT_CHECKPOINT_EVERY },
    outboundAllow: e.GATEHOUSE_OUTBOUND_ALLOW ?? [],
    rateLimits: {
      linkPerMinute: e.RATE_LIMIT_LINK_PER_MINUTE,
      telegramPerMinute: e.RATE_LIMIT_TELEGRAM_PER_MINUTE,
      tokenPerMinute: e.RATE_LIMIT_TOKEN_PER_MINUTE,
      unknownTokenPerMinute: e.RATE_LIMIT_UNKNOWN_TOKEN_PER_MINUTE,
      gatewayPerJobPer10Minutes: e.RATE_LIMIT_GATEWAY_PER_JOB,
      // Invite redemptions that failed, or are still in flight, per minute: a success gives its slot back.
      invitePerIpPerMinute: e.RATE_LIMIT_INVITE_PER_IP_PER_MINUTE,
      invitePerWorkspacePerMinute: e.RATE_LIMIT_INVITE_PER_WORKSPACE_PER_MINUTE,
    },
  };
}

export type Config = ReturnType<typeof parseConfig>;

let cached: Config | undefined;

export function databaseUrlFrom(env: Env): string {
  const parsed = schema.shape.DATABASE_URL.safeParse(env.DATABASE_URL?.trim() ? env.DATABASE_URL : undefined);
  if (!parsed.success) throw new ConfigError([`DATABASE_URL: ${parsed.error.issues[0]?.message ?? "is invalid"}`]);
  return parsed.data;
}

export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The logger must exist even if the rest of the configuration fails to parse. */
export function logLevelFromEnv(): LogLevel {
  const l = process.env.LOG_LEVEL;
  return LOG_LEVELS.includes(l as LogLevel) ? (l as LogLevel) : "info";
}

export function isTestRun(): boolean {
  return process.env.NODE_ENV === "test";
}

/**
 * next-auth builds redirect_uri and callbacks from AUTH_URL: pin it to the public URL, not the Host header. Only the
 * origin: each next-auth configuration (settings links, admin sign-in) names its own base path.
 */
export function pinAuthUrl(publicUrl: string) {
  process.env.AUTH_URL = publicUrl;
}
