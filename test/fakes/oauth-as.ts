/**
 * A real third-party OAuth 2 / OpenID Connect authorization server for tests, the e2e server and `npm run dev`:
 * oidc-provider 9 on 127.0.0.1, in-memory state (its own store per instance), ephemeral signing key.
 *
 *   const as = await startOAuthAS({ clients: [{ client_id: "gh", client_secret: "s", redirect_uris: [cb] }] })
 *   as.issuer                       // http://127.0.0.1:<port>, discovery at /.well-known/openid-configuration
 *                                   // and /.well-known/oauth-authorization-server (RFC 8414, same document)
 *   const cb = await authorizeHeadless(authorizationUrl, "alice")  // login + consent without a browser
 *
 * What it does (oidc-provider's own behaviour unless said otherwise):
 * - Authorization code flow, PKCE S256 required by default (`requirePkce: false` makes it optional; S256 is the
 *   only method oidc-provider 9 knows), `iss` in every authorization response (RFC 9207, advertised as
 *   `authorization_response_iss_parameter_supported`), scopes openid offline_access email profile, id_token
 *   carries email/name (`conformIdTokenClaims: false`), userinfo at /me, introspection (RFC 7662) at
 *   /token/introspection, revocation (RFC 7009) at /token/revocation, open dynamic registration (RFC 7591) at /reg
 *   when `dynamicRegistration`.
 * - A refresh token for EVERY authorization-code grant of a client allowed the refresh_token grant (static clients
 *   always are; registered clients when they ask for it or omit grant_types), with or without offline_access and
 *   prompt=consent (oidc-provider would otherwise silently drop offline_access without prompt=consent). Refresh
 *   tokens do not end with the login session.
 * - Rotation: every refresh answers a new refresh token and marks the old one consumed. Replaying a consumed refresh
 *   token answers 400 invalid_grant ("refresh token already used") AND revokes the whole grant: the newest refresh
 *   token and every access token of that grant are dead too (checked in oauth-as.test.ts). Revocation (RFC 7009,
 *   only by the client the token was issued to) of a refresh token revokes its grant; revoking an ACCESS token also
 *   kills every token of its grant, the refresh token included (oidc-provider keeps only the Grant record then).
 * - RFC 8707: `resourceIndicators.resources` (or `allowResource(url)` later) are the resource servers it issues
 *   tokens for: opaque access tokens with `aud` = the resource and scope `mcp:tools` (introspectable; oidc-provider
 *   refuses to introspect JWT access tokens). Any other `resource` → invalid_target. On refresh the token is for the
 *   `resource` sent with the refresh request; without one it is for the granted resource only when `openid` is not
 *   among the scopes (with openid it becomes a userinfo token without `aud`, which a resource server refuses).
 * - The login page (devInteractions) takes any password; the login must be a key of `accounts` (an unknown one ends
 *   the authorization with error=access_denied at the redirect_uri). Consent is a separate page ("Continue").
 *
 * Test knobs (in process on the handle, over HTTP on the same origin for other processes, client in
 * ./oauth-control.ts): GET /__fake/stats, POST /__fake/script {nextRefresh, times?}, POST /__fake/introspect
 * {token}, POST /__fake/reset, GET /__fake/health. Scripted refreshes: "invalid_grant" answers 400
 * {"error":"invalid_grant"} without reaching oidc-provider; "down" answers 503; "slow" waits 8 s and then lets
 * oidc-provider answer for real — if the client hangs up during the wait the request is dropped unprocessed (the
 * refresh token is NOT rotated). `times` (default 1) is how many of the next refresh requests the script applies to.
 * oidc-provider prints development warnings to stderr (devInteractions, "Unsupported runtime" below Node 22, and
 * once "already parsed request body detected": the fake reads token and revocation bodies before oidc-provider).
 */
import { generateKeyPair, randomBytes, randomUUID } from "node:crypto";
import type http from "node:http";
import { promisify } from "node:util";
import * as oidc from "oidc-provider";
import type { Account, Configuration, InteractionResults } from "oidc-provider";
import { ControlError, type FakeListenOptions, obj, oneOf, optionalInt, readBody, readControlJson, sendJson, sendTooLarge, startServer } from "./http-kit";

const Provider = oidc.default;
type ProviderInstance = InstanceType<typeof Provider>;
// The errors namespace exists at runtime but not in scripts/oidc-provider.d.ts (not this file's to change).
const { errors } = oidc as unknown as { errors: Record<"InvalidTarget" | "InvalidRequest", new (description?: string) => Error> };

export type OAuthAccount = { sub: string; email: string; name: string };

export const DEFAULT_OAUTH_ACCOUNTS: Readonly<Record<string, OAuthAccount>> = {
  alice: { sub: "alice-sub", email: "alice@example.test", name: "Alice Upstream" },
  bob: { sub: "bob-sub", email: "bob@example.test", name: "Bob Upstream" },
};

export type OAuthClientSpec = {
  client_id: string;
  /** Omit for a public client (token_endpoint_auth_method "none"). */
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: "client_secret_basic" | "client_secret_post" | "none";
};

export type StartOAuthASOptions = FakeListenOptions & {
  clients?: OAuthClientSpec[];
  /** Access token lifetime, default 3600. */
  accessTokenTtlSeconds?: number;
  /** Login name → account; default alice and bob (DEFAULT_OAUTH_ACCOUNTS). */
  accounts?: Record<string, OAuthAccount>;
  /** RFC 7591 open registration at /reg (no initial access token). */
  dynamicRegistration?: boolean;
  /** RFC 8707 resource servers it issues access tokens for. */
  resourceIndicators?: { resources: string[] };
  /** Default true (S256). */
  requirePkce?: boolean;
};

export type RefreshScriptMode = "invalid_grant" | "down" | "slow";
export type RefreshScript = { nextRefresh: RefreshScriptMode | null; times?: number };

export type OAuthASStats = {
  /** Every POST /token, whatever the grant and the outcome. */
  tokenRequests: number;
  authorizationCodeGrants: number;
  /** Every POST /token with grant_type=refresh_token, scripted ones included, whatever the outcome. */
  refreshGrants: number;
  /** Refresh requests answered with a status >= 400 (scripted ones included; a dropped slow one too). */
  refreshFailures: number;
  revocations: { token_type_hint?: string; at: string }[];
  /** POST /reg requests. */
  registrations: number;
};

export type IntrospectionResponse = {
  active: boolean;
  sub?: string;
  scope?: string;
  aud?: string | string[];
  client_id?: string;
  exp?: number;
  iat?: number;
  iss?: string;
  token_type?: string;
  [claim: string]: unknown;
};

export type OAuthAS = {
  /** http://127.0.0.1:<port> (no trailing slash); also the origin of the /__fake control plane. */
  issuer: string;
  port: number;
  /** The scope of access tokens issued for a resource server (RFC 8707). */
  resourceScope: string;
  accounts: Readonly<Record<string, OAuthAccount>>;
  /** A confidential client that may introspect every token (client_secret_basic), for a resource server elsewhere. */
  introspectionClient: { client_id: string; client_secret: string };
  stats(): OAuthASStats;
  script(script: RefreshScript): void;
  introspect(token: string): Promise<IntrospectionResponse>;
  /** Adds a resource server (RFC 8707) after start, e.g. an MCP server whose URL was not known yet. */
  allowResource(resource: string): void;
  /** Forgets counters and the script (not clients, grants or tokens). */
  reset(): void;
  stop(): Promise<void>;
};

export const RESOURCE_SCOPE = "mcp:tools";
const SLOW_MS = 8_000;
const INTROSPECTOR_ID = "__fake-resource-server";

// ---- a per-instance in-memory adapter (oidc-provider's default store is one LRU of 1000 shared by the process) ----

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; consumed?: number };
type Entry = { payload: Payload; expiresAt: number };

function memoryAdapter() {
  const store = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const secondary = new Map<string, string>();
  const live = (key: string): Payload | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  return class Adapter {
    constructor(readonly model: string) {}
    key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: Payload, expiresIn?: number) {
      const key = this.key(id);
      store.set(key, { payload, expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : Infinity });
      if (payload.grantId) byGrant.set(payload.grantId, (byGrant.get(payload.grantId) ?? new Set()).add(key));
      if (this.model === "Session" && payload.uid) secondary.set(`uid:${payload.uid}`, id);
      if (payload.userCode) secondary.set(`userCode:${payload.userCode}`, id);
    }
    async find(id: string) {
      return live(this.key(id));
    }
    async findByUid(uid: string) {
      const id = secondary.get(`uid:${uid}`);
      return id === undefined ? undefined : live(this.key(id));
    }
    async findByUserCode(userCode: string) {
      const id = secondary.get(`userCode:${userCode}`);
      return id === undefined ? undefined : live(this.key(id));
    }
    async consume(id: string) {
      const payload = live(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      store.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const key of byGrant.get(grantId) ?? []) store.delete(key);
      byGrant.delete(grantId);
    }
  };
}

// ---- headless login and consent -------------------------------------------------------------------------------

type Cookie = { name: string; value: string; path: string };

function storeCookies(jar: Cookie[], res: Response) {
  for (const line of res.headers.getSetCookie()) {
    const [pair = "", ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq < 1) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = "/";
    let expired = false;
    for (const attr of attrs) {
      const [k = "", v = ""] = attr.split("=").map((s) => s.trim());
      if (k.toLowerCase() === "path" && v) path = v;
      if (k.toLowerCase() === "max-age" && Number(v) <= 0) expired = true;
      if (k.toLowerCase() === "expires" && Date.parse(v) <= Date.now()) expired = true;
    }
    const at = jar.findIndex((c) => c.name === name && c.path === path);
    if (at >= 0) jar.splice(at, 1);
    if (!expired) jar.push({ name, value, path });
  }
}

function cookieHeader(jar: Cookie[], url: URL): string {
  return jar
    .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`) || c.path === "/")
    .map((c) => `${c.name}=${c.value}`)
    .join("; ");
}

/**
 * Drives oidc-provider's login and consent pages with plain fetch (own cookie jar, redirects followed by hand) and
 * returns the redirect to the client's redirect_uri (code, state, iss — or error) without requesting it.
 * Throws when the provider answers anything else (e.g. its error page for a bad client or redirect_uri).
 */
export async function authorizeHeadless(authorizationUrl: string, login: string, password = "any-password"): Promise<URL> {
  const start = new URL(authorizationUrl);
  const redirectUri = start.searchParams.get("redirect_uri");
  const jar: Cookie[] = [];
  let url = start;
  let method: "GET" | "POST" = "GET";
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const res = await fetch(url, {
      method,
      redirect: "manual",
      headers: { cookie: cookieHeader(jar, url), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      body,
    });
    storeCookies(jar, res);
    const text = await res.text();
    method = "GET";
    body = undefined;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      const bare = `${next.origin}${next.pathname}`;
      if ((redirectUri && bare === redirectUri) || next.origin !== start.origin) return next;
      url = next;
      continue;
    }
    if (res.status === 200 && /^\/interaction\/[^/]+$/.test(url.pathname)) {
      method = "POST";
      body = /name="login"/.test(text) ? new URLSearchParams({ prompt: "login", login, password }) : new URLSearchParams({ prompt: "consent" });
      continue;
    }
    throw new Error(`authorizeHeadless: ${method} ${url.pathname} answered HTTP ${res.status}: ${text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").slice(0, 300)}`);
  }
  throw new Error("authorizeHeadless: too many redirects");
}

// ---- the server -------------------------------------------------------------------------------------------------

function freshStats(): OAuthASStats {
  return { tokenRequests: 0, authorizationCodeGrants: 0, refreshGrants: 0, refreshFailures: 0, revocations: [], registrations: 0 };
}

export function parseRefreshScript(raw: unknown): RefreshScript {
  const s = obj(raw, "script");
  const nextRefresh = s.nextRefresh === null || s.nextRefresh === undefined ? null : oneOf(s.nextRefresh, "nextRefresh", ["invalid_grant", "down", "slow"] as const);
  return { nextRefresh, times: optionalInt(s.times, "times", 0, 1000) };
}

export async function startOAuthAS(options: StartOAuthASOptions = {}): Promise<OAuthAS> {
  const accounts: Record<string, OAuthAccount> = { ...(options.accounts ?? DEFAULT_OAUTH_ACCOUNTS) };
  const bySub = new Map(Object.entries(accounts).map(([login, a]) => [a.sub, { ...a, login }]));
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const resources = new Set(options.resourceIndicators?.resources ?? []);
  const introspectorSecret = randomBytes(24).toString("base64url");
  let stats = freshStats();
  let script: { mode: RefreshScriptMode; left: number } | undefined;

  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

  let provider: ProviderInstance | undefined;

  const running = await startServer(async (req, res, url) => {
    if (url.pathname.startsWith("/__fake/")) return control(req, res, url);
    if (!provider) return sendJson(res, 503, { error: "temporarily_unavailable" });
    const route = `${req.method} ${url.pathname}`;
    if (route === "POST /token") return token(req, res);
    if (route === "POST /token/revocation") {
      const text = await bodyText(req, res);
      if (text === undefined) return;
      const hint = new URLSearchParams(text).get("token_type_hint") ?? undefined;
      stats.revocations.push({ ...(hint ? { token_type_hint: hint } : {}), at: new Date().toISOString() });
      return callback(req, res);
    }
    if (route === "POST /reg") stats.registrations += 1;
    if (req.method === "POST" && /^\/interaction\/[^/]+$/.test(url.pathname) && (await handleLogin(provider, req, res))) return;
    return callback(req, res);
  }, options);

  /** Reads a form body for the fake's own bookkeeping and leaves it where oidc-provider looks for a parsed body. */
  async function bodyText(req: http.IncomingMessage, res: http.ServerResponse): Promise<string | undefined> {
    const body = await readBody(req);
    if (body === "too_large") {
      sendTooLarge(res, { error: "invalid_request", error_description: "request entity too large" });
      return undefined;
    }
    const text = body.toString("utf8");
    (req as http.IncomingMessage & { body?: string }).body = text;
    return text;
  }

  async function token(req: http.IncomingMessage, res: http.ServerResponse) {
    const text = await bodyText(req, res);
    stats.tokenRequests += 1;
    if (text === undefined) return;
    const grantType = new URLSearchParams(text).get("grant_type");
    if (grantType === "authorization_code") stats.authorizationCodeGrants += 1;
    if (grantType !== "refresh_token") return callback(req, res);
    stats.refreshGrants += 1;
    res.once("finish", () => {
      if (res.statusCode >= 400) stats.refreshFailures += 1;
    });
    const mode = script && script.left > 0 ? script.mode : undefined;
    if (script && mode) {
      script.left -= 1;
      if (script.left <= 0) script = undefined;
    }
    if (mode === "invalid_grant") return sendJson(res, 400, { error: "invalid_grant" }, { "cache-control": "no-store" });
    if (mode === "down") return sendJson(res, 503, { error: "temporarily_unavailable" }, { "cache-control": "no-store" });
    if (mode === "slow" && !(await running.pause(SLOW_MS, req))) {
      stats.refreshFailures += 1;
      res.destroy();
      return;
    }
    return callback(req, res);
  }

  async function introspect(tokenValue: string): Promise<IntrospectionResponse> {
    const res = await fetch(`${issuer}/token/introspection`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(INTROSPECTOR_ID)}:${encodeURIComponent(introspectorSecret)}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ token: tokenValue }),
    });
    if (!res.ok) throw new Error(`introspection: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return (await res.json()) as IntrospectionResponse;
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const route = `${req.method} ${url.pathname}`;
    if (route === "GET /__fake/health") return sendJson(res, 200, { ok: true, platform: "oauth-as", issuer });
    if (route === "GET /__fake/stats") return sendJson(res, 200, handle.stats());
    if (route === "POST /__fake/reset") {
      await readBody(req);
      handle.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (route === "POST /__fake/script" || route === "POST /__fake/introspect") {
      const raw = await readControlJson(req);
      if (raw === "too_large") return sendTooLarge(res, { ok: false, error: "too_large" });
      if (raw === "malformed") return sendJson(res, 400, { ok: false, error: "body must be JSON" });
      try {
        if (route === "POST /__fake/script") {
          handle.script(parseRefreshScript(raw));
          return sendJson(res, 200, { ok: true });
        }
        const tokenValue = obj(raw, "body").token;
        if (typeof tokenValue !== "string" || !tokenValue) throw new ControlError("token must be a non-empty string");
        return sendJson(res, 200, await introspect(tokenValue));
      } catch (err) {
        if (!(err instanceof ControlError)) throw err;
        return sendJson(res, 400, { ok: false, error: err.message });
      }
    }
    return sendJson(res, 404, { ok: false, error: "unknown fake control route" });
  }

  const issuer = running.origin;
  const staticClients = (options.clients ?? []).map((c) => ({
    client_id: c.client_id,
    ...(c.client_secret !== undefined ? { client_secret: c.client_secret } : {}),
    redirect_uris: c.redirect_uris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: c.token_endpoint_auth_method ?? (c.client_secret === undefined ? "none" : "client_secret_basic"),
    application_type: "web" as const,
  }));
  const introspector = {
    client_id: INTROSPECTOR_ID,
    client_secret: introspectorSecret,
    redirect_uris: [],
    grant_types: [],
    response_types: [],
    token_endpoint_auth_method: "client_secret_basic",
  };
  const features = {
    devInteractions: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: {
      enabled: true,
      // oidc-provider's default, spelled out (which also silences its "you SHOULD change it" notice).
      allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => {
        if (token.clientId !== client.clientId) throw new errors.InvalidRequest("client is not authorized to revoke the presented token");
        return true;
      },
    },
    userinfo: { enabled: true },
    registration: { enabled: options.dynamicRegistration === true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx: unknown, _client: unknown, oneOf?: string | string[]) => oneOf,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx: unknown, resource: string) => {
        if (!resources.has(resource)) throw new errors.InvalidTarget(`${resource} is not a resource server of this authorization server`);
        return { scope: RESOURCE_SCOPE, audience: resource, accessTokenTTL: ttl, accessTokenFormat: "opaque" };
      },
    },
  };
  const configuration = {
    adapter: memoryAdapter(),
    clients: [...staticClients, introspector],
    clientDefaults: { grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic", id_token_signed_response_alg: "RS256" },
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features,
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
    conformIdTokenClaims: false,
    pkce: { required: () => options.requirePkce !== false },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
      ClientCredentials: ttl,
    },
    findAccount: (_ctx: unknown, sub: string): Account | undefined => {
      const account = bySub.get(sub);
      if (!account) return undefined;
      return {
        accountId: account.sub,
        claims: () => ({ sub: account.sub, email: account.email, email_verified: true, name: account.name, preferred_username: account.login }),
      };
    },
  };

  try {
    provider = new Provider(issuer, configuration as unknown as Configuration);
    for (const c of [...staticClients, introspector]) await provider.Client.find(c.client_id);
  } catch (err) {
    await running.stop();
    throw err;
  }
  const callback = provider.callback();

  async function handleLogin(p: ProviderInstance, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    let prompt: string;
    try {
      prompt = (await p.interactionDetails(req, res)).prompt.name;
    } catch {
      return false; // expired or missing interaction: oidc-provider renders its error page
    }
    if (prompt !== "login") return false;
    const body = await readBody(req);
    const login = body === "too_large" ? null : new URLSearchParams(body.toString("utf8")).get("login");
    const key = login?.trim().toLowerCase();
    const account = key && Object.hasOwn(accounts, key) ? accounts[key] : undefined;
    const result: InteractionResults = account
      ? { login: { accountId: account.sub } }
      : { error: "access_denied", error_description: "unknown account at the fake authorization server" };
    await p.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return true;
  }

  let stopping: Promise<void> | undefined;
  const handle: OAuthAS = {
    issuer,
    port: running.port,
    resourceScope: RESOURCE_SCOPE,
    accounts,
    introspectionClient: { client_id: INTROSPECTOR_ID, client_secret: introspectorSecret },
    stats: () => structuredClone(stats),
    script(s) {
      script = s.nextRefresh === null || s.times === 0 ? undefined : { mode: s.nextRefresh, left: s.times ?? 1 };
    },
    introspect,
    allowResource(resource) {
      resources.add(resource);
    },
    reset() {
      stats = freshStats();
      script = undefined;
    },
    stop() {
      stopping ??= running.stop();
      return stopping;
    },
  };
  return handle;
}
