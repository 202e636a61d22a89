import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config";

const KEY = Buffer.alloc(32, 1).toString("base64");
const newSigningKey = (type: "ed25519" | "ed448" = "ed25519") =>
  generateKeyPairSync(type as "ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
const SIGNING_KEY = newSigningKey();
const prod = { NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), GATEHOUSE_MASTER_KEYS: `k1:${KEY}`, TRUST_PROXY_HOPS: "1", GATEHOUSE_AUDIT_SIGNING_KEY: SIGNING_KEY };

function problems(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("parseConfig", () => {
  it("gives working defaults to the test suite only", () => {
    const c = parseConfig({ NODE_ENV: "test" });
    expect(c.databaseUrl).toBe("postgresql://postgres@127.0.0.1:5432/gatehouse");
    expect(c.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(c.publicUrl).toBe("http://localhost:3000");
    expect(c.ttl).toEqual({
      linkSeconds: 900,
      portalIdleSeconds: 1800,
      portalAbsoluteSeconds: 43200,
      adminIdleSeconds: 900,
      adminAbsoluteSeconds: 28800,
      telegramInitDataMaxAgeSeconds: 3600,
      jobTokenSeconds: 3600,
      tokenRotationGraceSeconds: 30,
    });
    expect(c.settingsOAuth).toBeNull();
    expect(c.masterKeys).toHaveLength(1);
  });

  it("accepts a complete production configuration and keeps key order (first = active)", () => {
    const c = parseConfig({ ...prod, GATEHOUSE_MASTER_KEYS: `new:${KEY}, old:${Buffer.alloc(32, 2).toString("base64")}` });
    expect(c.masterKeys.map((k) => k.id)).toEqual(["new", "old"]);
    expect(c.production).toBe(true);
  });

  it.each([
    [{}],
    [{ NODE_ENV: "development" }],
    [{ NODE_ENV: "development", GATEHOUSE_PUBLIC_URL: "https://gh.example" }],
  ])("refuses well-known secrets outside the test suite: %j", (env) => {
    const found = problems(env).join("\n");
    expect(found).toMatch(/^AUTH_SECRET: is required/m);
    expect(found).toMatch(/^GATEHOUSE_MASTER_KEYS: is required/m);
  });

  it("names every missing production variable at once, also next to other bad values", () => {
    const all = problems({ NODE_ENV: "production", PORT: "http" }).join("\n");
    for (const name of ["AUTH_SECRET", "GATEHOUSE_MASTER_KEYS", "TRUST_PROXY_HOPS", "PORT"]) expect(all).toMatch(new RegExp(`^${name}: `, "m"));
    expect(parseConfig({ ...prod, TRUST_PROXY_HOPS: "0" }).trustProxyHops).toBe(0);
  });

  it("names every bad variable of a production start at once, the rules between variables included", () => {
    const found = problems({
      NODE_ENV: "production",
      PORT: "http",
      GATEHOUSE_PUBLIC_URL: "http://gate.example.com",
      GATEHOUSE_MASTER_KEYS: "not-a-key",
      PORTAL_IDLE_TIMEOUT_SECONDS: "9000",
      PORTAL_ABSOLUTE_TIMEOUT_SECONDS: "3600",
      SETTINGS_OAUTH_ISSUER: "https://idp.example",
    });
    const names = found.map((p) => p.split(":")[0]);
    for (const name of ["AUTH_SECRET", "TRUST_PROXY_HOPS", "PORT", "GATEHOUSE_MASTER_KEYS", "GATEHOUSE_PUBLIC_URL", "PORTAL_IDLE_TIMEOUT_SECONDS", "SETTINGS_OAUTH_CLIENT_ID"]) {
      expect(names, found.join("\n")).toContain(name);
    }
    expect(found.join("\n")).toMatch(/^GATEHOUSE_PUBLIC_URL: must be https/m);
  });

  it("requires an https public URL in production unless it is loopback", () => {
    expect(problems({ ...prod, GATEHOUSE_PUBLIC_URL: "http://gate.example.com" }).join("\n")).toMatch(/^GATEHOUSE_PUBLIC_URL: must be https/m);
    expect(parseConfig({ ...prod, GATEHOUSE_PUBLIC_URL: "http://localhost:3100" }).secureCookies).toBe(false);
  });

  it("sends bot tokens only over https in production, or to a loopback fake", () => {
    const found = problems({ ...prod, TELEGRAM_API_ROOT: "http://telegram.example", SLACK_API_URL: "http://slack.example/api/" }).join("\n");
    expect(found).toMatch(/^TELEGRAM_API_ROOT: must be https in production/m);
    expect(found).toMatch(/^SLACK_API_URL: must be https in production/m);
    expect(parseConfig({ ...prod, TELEGRAM_API_ROOT: "http://127.0.0.1:3994", SLACK_API_URL: "http://127.0.0.1:3993/api/" }).slack.apiUrl).toBe("http://127.0.0.1:3993/api/");
  });

  it("reads the Redis topology (SPEC §14): one node by default, Sentinel, or Cluster, with REDIS_URL's credentials", () => {
    expect(parseConfig({ NODE_ENV: "test" }).redis).toEqual({ kind: "single", url: "redis://127.0.0.1:6379" });
    expect(parseConfig({ NODE_ENV: "test", REDIS_SENTINELS: "10.0.0.5:26379, 10.0.0.6:26379,[::1]:26380", REDIS_SENTINEL_NAME: "gh", REDIS_URL: "rediss://app:p%40ss@x/2" }).redis).toEqual({
      kind: "sentinel",
      sentinels: [{ host: "10.0.0.5", port: 26379 }, { host: "10.0.0.6", port: 26379 }, { host: "::1", port: 26380 }],
      name: "gh",
      auth: { username: "app", password: "p@ss", tls: true, db: 2 },
    });
    expect(parseConfig({ NODE_ENV: "test", REDIS_SENTINELS: "s:26379", REDIS_SENTINEL_NAME: "gh", REDIS_SENTINEL_PASSWORD: "pw" }).redis).toMatchObject({ kind: "sentinel", sentinelPassword: "pw" });
    expect(parseConfig({ NODE_ENV: "test", REDIS_CLUSTER_NODES: "r1:6379,r2:6379,r1:6379" }).redis).toEqual({
      kind: "cluster",
      nodes: [{ host: "r1", port: 6379 }, { host: "r2", port: 6379 }],
      auth: { tls: false, db: 0 },
    });
  });

  it("refuses a Redis topology that is ambiguous or incomplete, naming each problem", () => {
    expect(problems({ NODE_ENV: "test", REDIS_SENTINELS: "a:1", REDIS_SENTINEL_NAME: "m", REDIS_CLUSTER_NODES: "b:2" })).toEqual([
      "REDIS_CLUSTER_NODES: set either REDIS_SENTINELS (with REDIS_SENTINEL_NAME) or REDIS_CLUSTER_NODES, not both",
    ]);
    expect(problems({ NODE_ENV: "test", REDIS_SENTINELS: "a:1" })).toEqual([expect.stringMatching(/^REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/)]);
    expect(problems({ NODE_ENV: "test", REDIS_SENTINEL_NAME: "m" })).toEqual([expect.stringMatching(/^REDIS_SENTINELS: is required with REDIS_SENTINEL_NAME/)]);
    expect(problems({ NODE_ENV: "test", REDIS_CLUSTER_NODES: "a:1", REDIS_URL: "redis://x/3" })).toEqual([expect.stringMatching(/^REDIS_URL: a Redis Cluster has only database 0/)]);
    expect(problems({ NODE_ENV: "test", REDIS_CLUSTER_NODES: "a:1,b" })).toEqual(['REDIS_CLUSTER_NODES: "b" is not host:port (e.g. 10.0.0.5:6379,10.0.0.6:6379,10.0.0.7:6379)']);
    expect(problems({ NODE_ENV: "test", REDIS_URL: "redis://x/abc" })).toEqual(["REDIS_URL: the path must be a database number (redis://host:6379/0)"]);
    expect(problems({ NODE_ENV: "test", REDIS_URL: "redis://:50%@x" })).toEqual(["REDIS_URL: the user or password is not valid percent-encoding (write % as %25)"]);
    expect(problems({ NODE_ENV: "test", REDIS_SENTINEL_PASSWORD: "pw" })).toEqual(["REDIS_SENTINELS: is required with REDIS_SENTINEL_PASSWORD"]);
    expect(problems({ NODE_ENV: "test", REDIS_SENTINELS: ",", REDIS_SENTINEL_NAME: "m" })).toContainEqual(expect.stringMatching(/^REDIS_SENTINELS: must list at least one host:port/));
  });

  it("reads GATEHOUSE_OUTBOUND_ALLOW as exact host:port entries in their URL form", () => {
    expect(parseConfig({ NODE_ENV: "test" }).outboundAllow).toEqual([]);
    expect(parseConfig({ NODE_ENV: "test", GATEHOUSE_OUTBOUND_ALLOW: " 127.0.0.1:8443, MCP.Test:443,[::1]:9000,0x7f.1:8443" }).outboundAllow).toEqual([
      "127.0.0.1:8443",
      "mcp.test:443",
      "[::1]:9000",
    ]);
    expect(parseConfig({ ...prod, NODE_ENV: "development", GATEHOUSE_OUTBOUND_ALLOW: "localhost:3999" }).outboundAllow).toEqual(["localhost:3999"]);
  });

  it.each(["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "http://127.0.0.1:80", "user@host:80", "host:80/path", "*:443", "::1:80", "[::1]", "[zz]:80"])(
    "names GATEHOUSE_OUTBOUND_ALLOW when an entry is not host:port: %s",
    (entry) => {
      expect(problems({ NODE_ENV: "test", GATEHOUSE_OUTBOUND_ALLOW: `ok.test:443,${entry}` }).join("\n")).toMatch(/^GATEHOUSE_OUTBOUND_ALLOW: .* is not host:port/m);
    },
  );

  it("refuses GATEHOUSE_OUTBOUND_ALLOW in production unless it lists only loopback ports (the e2e suite's local providers)", () => {
    for (const value of ["10.0.0.5:8443", "mcp.test:443", "127.0.0.1:8443,169.254.169.254:80", "127.0.0.2:80", "localhost.evil.test:80"]) {
      expect(problems({ ...prod, GATEHOUSE_OUTBOUND_ALLOW: value })).toEqual([
        "GATEHOUSE_OUTBOUND_ALLOW: is for tests and development only; in production it may only list loopback host:port entries; unset it",
      ]);
    }
    expect(parseConfig({ ...prod, GATEHOUSE_OUTBOUND_ALLOW: "127.0.0.1:8443,localhost:3999,[::1]:9000" }).outboundAllow).toHaveLength(3);
    expect(parseConfig({ ...prod, GATEHOUSE_OUTBOUND_ALLOW: "127.0.0.1:8443" }).outboundAllow).toEqual(["127.0.0.1:8443"]);
    // Next to another broken variable, and when the list itself is malformed, it is still named.
    const found = problems({ ...prod, PORT: "x", GATEHOUSE_OUTBOUND_ALLOW: "nonsense" }).join("\n");
    expect(found).toMatch(/^PORT: /m);
    expect(found).toMatch(/^GATEHOUSE_OUTBOUND_ALLOW: /m);
    expect(parseConfig({ ...prod, GATEHOUSE_OUTBOUND_ALLOW: " " }).outboundAllow).toEqual([]);
  });

  it.each([
    ["AUTH_SECRET", { ...prod, AUTH_SECRET: undefined }],
    ["GATEHOUSE_MASTER_KEYS", { ...prod, GATEHOUSE_MASTER_KEYS: undefined }],
    ["GATEHOUSE_MASTER_KEYS", { ...prod, GATEHOUSE_MASTER_KEYS: "" }],
    ["TRUST_PROXY_HOPS", { ...prod, TRUST_PROXY_HOPS: undefined }],
    ["TRUST_PROXY_HOPS", { ...prod, TRUST_PROXY_HOPS: " " }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { ...prod, GATEHOUSE_AUDIT_SIGNING_KEY: undefined }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { ...prod, GATEHOUSE_AUDIT_SIGNING_KEY: "" }],
  ])("refuses production without %s", (name, env) => {
    expect(problems(env).join("\n")).toMatch(new RegExp(`^${name}: is required in production`, "m"));
  });

  it.each([
    ["DATABASE_URL", { DATABASE_URL: "mysql://localhost/x" }],
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["REDIS_URL", { REDIS_URL: "http://localhost:6379" }],
    ["GATEHOUSE_PUBLIC_URL", { GATEHOUSE_PUBLIC_URL: "localhost:3000" }],
    ["AUTH_SECRET", { AUTH_SECRET: "short" }],
    ["GATEHOUSE_MASTER_KEYS", { GATEHOUSE_MASTER_KEYS: "k1:c2hvcnQ=" }],
    ["GATEHOUSE_MASTER_KEYS", { GATEHOUSE_MASTER_KEYS: KEY }],
    ["GATEHOUSE_MASTER_KEYS", { GATEHOUSE_MASTER_KEYS: `a:${KEY},a:${KEY}` }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { GATEHOUSE_AUDIT_SIGNING_KEY: "not base64!" }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { GATEHOUSE_AUDIT_SIGNING_KEY: KEY }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { GATEHOUSE_AUDIT_SIGNING_KEY: newSigningKey("ed448") }],
    ["GATEHOUSE_AUDIT_SIGNING_KEY", { GATEHOUSE_AUDIT_SIGNING_KEY: generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).toString("base64") }],
    ["AUDIT_CHECKPOINT_EVERY", { AUDIT_CHECKPOINT_EVERY: "0" }],
    ["AUDIT_CHECKPOINT_EVERY", { AUDIT_CHECKPOINT_EVERY: "10.5" }],
    ["PORT", { PORT: "http" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
    ["LINK_TTL_SECONDS", { LINK_TTL_SECONDS: "abc" }],
    ["LINK_TTL_SECONDS", { LINK_TTL_SECONDS: "5" }],
    ["PORTAL_IDLE_TIMEOUT_SECONDS", { PORTAL_IDLE_TIMEOUT_SECONDS: "1.5" }],
    ["PORTAL_IDLE_TIMEOUT_SECONDS", { PORTAL_IDLE_TIMEOUT_SECONDS: "7200", PORTAL_ABSOLUTE_TIMEOUT_SECONDS: "3600" }],
    ["PORTAL_ABSOLUTE_TIMEOUT_SECONDS", { PORTAL_ABSOLUTE_TIMEOUT_SECONDS: "-1" }],
    ["TELEGRAM_INIT_DATA_MAX_AGE_SECONDS", { TELEGRAM_INIT_DATA_MAX_AGE_SECONDS: "x" }],
    ["JOB_TOKEN_TTL_SECONDS", { JOB_TOKEN_TTL_SECONDS: "999999" }],
    ["TOKEN_ROTATION_GRACE_SECONDS", { TOKEN_ROTATION_GRACE_SECONDS: "0" }],
    ["TELEGRAM_API_ROOT", { TELEGRAM_API_ROOT: "ftp://x" }],
    ["SETTINGS_OAUTH_ISSUER", { SETTINGS_OAUTH_ISSUER: "nope", SETTINGS_OAUTH_CLIENT_ID: "c" }],
    ["SETTINGS_OAUTH_CLIENT_ID", { SETTINGS_OAUTH_ISSUER: "https://id.example.com" }],
    ["SETTINGS_OAUTH_AUTH_URL", { SETTINGS_OAUTH_CLIENT_ID: "c", SETTINGS_OAUTH_TOKEN_URL: "https://id.example.com/token" }],
    ["SETTINGS_OAUTH_USERINFO_URL", {
      SETTINGS_OAUTH_CLIENT_ID: "c",
      SETTINGS_OAUTH_AUTH_URL: "https://id.example.com/auth",
      SETTINGS_OAUTH_TOKEN_URL: "https://id.example.com/token",
    }],
    ["SETTINGS_OAUTH_ISSUER", {
      SETTINGS_OAUTH_CLIENT_ID: "c",
      SETTINGS_OAUTH_ISSUER: "https://id.example.com",
      SETTINGS_OAUTH_AUTH_URL: "https://id.example.com/auth",
    }],
  ])("names %s when it is malformed or inconsistent", (name, env) => {
    const found = problems(env);
    expect(found.some((p) => p.startsWith(`${name}:`)), found.join("\n")).toBe(true);
  });

  it("parses the audit signing key into a key object, never echoing it, and leaves it unset outside production", () => {
    const c = parseConfig(prod);
    expect(c.audit.signingKey?.asymmetricKeyType).toBe("ed25519");
    expect(c.audit.checkpointEvery).toBe(1000);
    expect(parseConfig({ NODE_ENV: "development", AUTH_SECRET: "x".repeat(40), GATEHOUSE_MASTER_KEYS: `k1:${KEY}`, AUDIT_CHECKPOINT_EVERY: "7" }).audit).toEqual({ signingKey: null, checkpointEvery: 7 });
    const secret = SIGNING_KEY.slice(20, 60);
    expect(problems({ ...prod, GATEHOUSE_AUDIT_SIGNING_KEY: `${SIGNING_KEY}x` }).join("\n")).not.toContain(secret);
  });

  it("configures the identity provider from discovery or from explicit endpoints", () => {
    expect(
      parseConfig({ NODE_ENV: "test", SETTINGS_OAUTH_ISSUER: "https://id.example.com", SETTINGS_OAUTH_CLIENT_ID: "c" }).settingsOAuth,
    ).toMatchObject({ issuer: "https://id.example.com", clientId: "c", scopes: "openid email profile" });
    expect(
      parseConfig({
        NODE_ENV: "test",
        SETTINGS_OAUTH_CLIENT_ID: "c",
        SETTINGS_OAUTH_AUTH_URL: "https://gh.example/auth",
        SETTINGS_OAUTH_TOKEN_URL: "https://gh.example/token",
        SETTINGS_OAUTH_USERINFO_URL: "https://gh.example/user",
        SETTINGS_OAUTH_SCOPES: "read:user",
      }).settingsOAuth,
    ).toMatchObject({ authorizationUrl: "https://gh.example/auth", scopes: "read:user" });
  });

  it("treats empty values as unset and marks https public URLs for secure cookies", () => {
    const c = parseConfig({ NODE_ENV: "test", SETTINGS_OAUTH_ISSUER: "", GATEHOUSE_PUBLIC_URL: "https://gate.example.com/" });
    expect(c.settingsOAuth).toBeNull();
    expect(c.publicUrl).toBe("https://gate.example.com");
    expect(c.secureCookies).toBe(true);
  });
});
