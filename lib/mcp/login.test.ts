// MCP login (SPEC §12) against a real oidc-provider authorization server and a real MCP SDK server that checks each
// token's audience: discovery, client registration in the spec's order and kept per issuer, PKCE, state, resource,
// iss; what is refused before any request; and that no token, code, verifier or client secret reaches the log.
import { scanKeys } from "@/test/redis-scan";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { authorizeHeadless } from "@/test/fakes/oauth-as";
import { callWhoami, startMcpServer, startMcpStack, type McpStack, type McpTestServer } from "@/test/fakes/mcp-server";
import { makeMember, makeWorkspace } from "@/test/factories";
import { getConfig } from "../config";
import type * as CatalogModule from "../connections/catalog";
import { saveFlow, takeFlow, type FlowRecord } from "../connections/flow-state";
import { connectRedirectUri, mcpRedirectDigest, mcpRedirectUri } from "../connections/oauth-client";
import { sha256Hex } from "../crypto/opaque";
import { addProvider } from "../connections/providers";
import { readConnectionTokens } from "../connections/store";
import { open } from "../crypto/secret-box";
import { db } from "../db/client";
import { AppError } from "../errors";
import { closeLazyClients } from "../lazy";
import { createPortalSession } from "../portal/sessions";
import { redis } from "../redis/client";
import type * as OutboundModule from "../outbound";
import type { OutboundRequest } from "../outbound";
import { chooseRegistration, clientMetadataDocument, clientMetadataUrl, finishMcpLogin, McpTokenError, refreshMcpTokens, revokeMcpTokens, startMcpLogin } from ".";
import { GET as clientMetadataRoute } from "@/app/oauth/client-metadata/[file]/route";
import { GET as providerCallbackRoute } from "@/app/settings/connections/callback/route";
import { GET as mcpCallbackRoute } from "@/app/settings/connections/callback/mcp/[d]/route";

// The raw logger, without lib/log's redaction: whatever this code hands the log is exactly what is checked.
const logged = vi.hoisted(() => ({ lines: [] as string[] }));
vi.mock("../log", async () => ({ log: (await import("@/test/fixtures/raw-log")).rawTraceLogger(logged.lines) }));

// Every outbound request this code makes, as sent (the real rules still apply: the calls pass through).
type Sent = { method: string; url: string; body: string };
const sent = vi.hoisted(() => ({ calls: [] as Sent[] }));
vi.mock("../outbound", async (importOriginal) => {
  const real = await importOriginal<typeof OutboundModule>();
  const bodyText = (body: unknown) => (body === undefined || body === null ? "" : body instanceof Uint8Array ? Buffer.from(body).toString("utf8") : String(body));
  return {
    ...real,
    outboundFetch: (input: string | URL, init: OutboundRequest = {}) => {
      sent.calls.push({ method: init.method ?? "GET", url: String(input), body: bodyText(init.body) });
      return real.outboundFetch(input, init);
    },
    outboundFetchAsFetch: (input: string | URL, init: { method?: string; body?: unknown } = {}) => {
      sent.calls.push({ method: init.method ?? "GET", url: String(input), body: bodyText(init.body) });
      return real.outboundFetchAsFetch(input, init as Parameters<typeof real.outboundFetchAsFetch>[1]);
    },
  };
});
// The google template with a test AS's issuer: the confused-deputy case of a provider whose issuer an MCP server names.
const catalogIssuer = vi.hoisted(() => ({ google: "" }));
vi.mock("../connections/catalog", async (importOriginal) => {
  const real = await importOriginal<typeof CatalogModule>();
  const google = { ...real.CATALOG.google, issuer: "" };
  Object.defineProperty(google, "issuer", { get: () => catalogIssuer.google || "https://accounts.google.com", enumerable: true });
  return { ...real, CATALOG: { ...real.CATALOG, google } };
});

const tokenRequests = (issuer: string) =>
  sent.calls.filter((c) => c.method === "POST" && c.url === `${issuer}/token`).map((c) => Object.fromEntries(new URLSearchParams(c.body)));

const PRE_CLIENT_ID = "gatehouse-pre-registered";
const PRE_SECRET = "pre-registered-secret-Hq2nV8sLw3";
const FIRST_PARTY_CLIENT_ID = "operator-first-party-client";
const FIRST_PARTY_SECRET = "first-party-secret-Xk4pR7mWq2";

let stack: McpStack; // dynamic registration
let pre: McpStack; // the operator pre-registered Gatehouse
let race: McpStack; // first logins racing
let preB: McpTestServer; // a second MCP server of pre's authorization server
let shadow: McpStack; // an AS at which the operator's first-party client (not registered for MCP) exists
let honest: McpStack; // the mix-up's honest authorization server, next to `stack`
let fake: { origin: string; port: number; requests: string[]; connections: number; close(): Promise<void> };
let unlisted: { port: number; connections: number; close(): Promise<void> };
/** Every secret value seen in the tests, for the leak canary. */
const secrets = new Set<string>([PRE_SECRET, FIRST_PARTY_SECRET]);

const sessionRef = "ab".repeat(32);

/** takeFlow as the callback uses it, for the session that started the flow. */
async function takeOwn(state: string | null, ref: string): Promise<FlowRecord | null> {
  const flow = await takeFlow(state, ref);
  if (flow === "other_session") throw new Error("the flow belongs to another session");
  return flow;
}
const actorFor = (userId: string) => ({ type: "user" as const, id: userId });

/** A small metadata server for the refusals: routes answer fixed JSON; counts every request and connection. */
async function startFake() {
  const requests: string[] = [];
  let connections = 0;
  let origin = "";
  const docs = (): Record<string, { status: number; body?: unknown; headers?: Record<string, string> }> => ({
    "POST /nos256/mcp": { status: 401, headers: { "www-authenticate": `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/nos256/mcp"` } },
    "GET /.well-known/oauth-protected-resource/nos256/mcp": { status: 200, body: { resource: `${origin}/nos256/mcp`, authorization_servers: [`${origin}/as-nos256`] } },
    "GET /.well-known/oauth-authorization-server/as-nos256": {
      status: 200,
      body: { issuer: `${origin}/as-nos256`, authorization_endpoint: `${origin}/as-nos256/auth`, token_endpoint: `${origin}/as-nos256/token`, registration_endpoint: `${origin}/as-nos256/reg`, response_types_supported: ["code"] },
    },
    "POST /plain/mcp": { status: 401, headers: { "www-authenticate": `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/plain/mcp"` } },
    "GET /.well-known/oauth-protected-resource/plain/mcp": { status: 200, body: { resource: `${origin}/plain/mcp`, authorization_servers: [`${origin}/as-plain`] } },
    "GET /.well-known/oauth-authorization-server/as-plain": {
      status: 200,
      body: { issuer: `${origin}/as-plain`, authorization_endpoint: `${origin}/a`, token_endpoint: `${origin}/t`, registration_endpoint: `${origin}/r`, response_types_supported: ["code"], code_challenge_methods_supported: ["plain"] },
    },
    // No WWW-Authenticate hint: the well-known path is found on its own; its resource is another server's.
    "POST /mismatch/mcp": { status: 401, headers: { "www-authenticate": "Bearer" } },
    "GET /.well-known/oauth-protected-resource/mismatch/mcp": { status: 200, body: { resource: `${origin}/other/mcp`, authorization_servers: [`${origin}/as-plain`] } },
    "POST /prefix/mcp": { status: 401 },
    "GET /.well-known/oauth-protected-resource/prefix/mcp": { status: 200, body: { resource: `${origin}/prefix`, authorization_servers: [`${origin}/as-plain`] } },
    "POST /wrong-issuer/mcp": { status: 401 },
    "GET /.well-known/oauth-protected-resource/wrong-issuer/mcp": { status: 200, body: { resource: `${origin}/wrong-issuer/mcp`, authorization_servers: [`${origin}/as-wrong`] } },
    "GET /.well-known/oauth-authorization-server/as-wrong": {
      status: 200,
      body: { issuer: "https://as.evil.example", authorization_endpoint: `${origin}/a`, token_endpoint: `${origin}/t`, registration_endpoint: `${origin}/r`, response_types_supported: ["code"], code_challenge_methods_supported: ["S256"] },
    },
    "POST /noreg/mcp": { status: 401 },
    "GET /.well-known/oauth-protected-resource/noreg/mcp": { status: 200, body: { resource: `${origin}/noreg/mcp`, authorization_servers: [`${origin}/as-noreg`] } },
    "GET /.well-known/oauth-authorization-server/as-noreg": {
      status: 200,
      body: { issuer: `${origin}/as-noreg`, authorization_endpoint: `${origin}/a`, token_endpoint: `${origin}/t`, response_types_supported: ["code"], code_challenge_methods_supported: ["S256"] },
    },
    "POST /down/mcp": { status: 401 },
    "GET /.well-known/oauth-protected-resource/down/mcp": { status: 503, body: { error: "upstream-secret-words" } },
  });
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${new URL(req.url ?? "/", origin).pathname}`;
    requests.push(key);
    req.resume();
    const doc = docs()[key];
    if (!doc) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not_found"}');
      return;
    }
    res.writeHead(doc.status, { "content-type": "application/json", ...doc.headers }).end(doc.body === undefined ? "" : JSON.stringify(doc.body));
  });
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    requests,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startUnlisted() {
  let connections = 0;
  const server = http.createServer((_req, res) => res.writeHead(401).end());
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  stack = await startMcpStack();
  pre = await startMcpStack({ clients: [{ client_id: PRE_CLIENT_ID, client_secret: PRE_SECRET, redirect_uris: ["http://localhost:3000/settings/connections/callback"] }] });
  race = await startMcpStack();
  preB = await startMcpServer({ authorizationServer: pre.as.issuer, introspect: (token) => pre.as.introspect(token) });
  pre.as.allowResource(preB.url);
  shadow = await startMcpStack({ clients: [{ client_id: FIRST_PARTY_CLIENT_ID, client_secret: FIRST_PARTY_SECRET, redirect_uris: ["http://localhost:3000/settings/connections/callback"] }] });
  catalogIssuer.google = shadow.as.issuer;
  honest = await startMcpStack();
  fake = await startFake();
  unlisted = await startUnlisted();
  // The configuration is parsed once, on first use (nothing has used it yet): the fixtures' ports are the only
  // exceptions to the outbound rules; `unlisted` is deliberately not among them.
  const ports = [stack.as.port, stack.mcp.port, pre.as.port, pre.mcp.port, race.as.port, race.mcp.port, new URL(preB.url).port, shadow.as.port, shadow.mcp.port, honest.as.port, honest.mcp.port, fake.port];
  vi.stubEnv("GATEHOUSE_OUTBOUND_ALLOW", ports.map((p) => `127.0.0.1:${p}`).join(","));
  expect(getConfig().outboundAllow).toHaveLength(ports.length);
  expect(connectRedirectUri()).toBe("http://localhost:3000/settings/connections/callback");
  expect(mcpRedirectUri(stack.as.issuer)).toMatch(/^http:\/\/localhost:3000\/settings\/connections\/callback\/mcp\/[A-Za-z0-9_-]{21}[AQgw]$/);
  expect(mcpRedirectUri(stack.as.issuer)).not.toBe(mcpRedirectUri(honest.as.issuer));
});

afterAll(async () => {
  await Promise.all([stack?.stop(), preB?.stop(), pre?.stop(), race?.stop(), shadow?.stop(), honest?.stop(), fake?.close(), unlisted?.close()]);
  await closeLazyClients();
  vi.unstubAllEnvs();
});

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** Start, log in at the AS as `login`, and take the flow as the callback route does. */
async function authorize(opts: { workspaceId: string; userId: string; serverUrl: string; login?: string }) {
  const { authorizationUrl } = await startMcpLogin({ workspaceId: opts.workspaceId, userId: opts.userId, sessionRef, serverUrl: opts.serverUrl, ip: "203.0.113.9" });
  const callbackUrl = await authorizeHeadless(authorizationUrl, opts.login ?? "alice");
  const state = callbackUrl.searchParams.get("state");
  const code = callbackUrl.searchParams.get("code");
  if (code) secrets.add(code);
  const flow = await takeOwn(state, sessionRef);
  expect(flow).not.toBeNull();
  secrets.add(flow!.codeVerifier);
  return { authorizationUrl: new URL(authorizationUrl), callbackUrl, state: state!, flow: flow! };
}

async function login(opts: { workspaceId: string; userId: string; serverUrl: string; login?: string }) {
  const a = await authorize(opts);
  const done = await finishMcpLogin({ flow: a.flow, callbackUrl: a.callbackUrl, actor: actorFor(opts.userId), ip: "203.0.113.9" });
  const conn = await readConnectionTokens({ workspaceId: opts.workspaceId, userId: opts.userId, ref: { kind: "mcp", serverUrl: done.serverUrl } });
  secrets.add(conn!.tokens.accessToken);
  if (conn!.tokens.refreshToken) secrets.add(conn!.tokens.refreshToken);
  return { ...a, done, conn: conn! };
}

async function rememberClientSecret(issuer: string) {
  const redirectUri = mcpRedirectUri(issuer);
  const row = await db.mcpClient.findUnique({ where: { issuer_redirectUri: { issuer, redirectUri } }, omit: { clientSecret: false } });
  if (row?.clientSecret) secrets.add(open(getConfig().masterKeys, { kind: "mcp-client-secret", issuer, redirectUri }, row.clientSecret));
  return row;
}

describe("the full login with dynamic registration", () => {
  it("logs in, stores a token the MCP server accepts for its resource, and registers once per issuer", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const first = await login({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });

    const params = first.authorizationUrl.searchParams;
    expect(`${first.authorizationUrl.origin}${first.authorizationUrl.pathname}`).toBe(`${stack.as.issuer}/auth`);
    expect(params.get("resource")).toBe(stack.mcp.url);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("scope")).toBe("mcp:tools");
    // The issuer's own redirect URI (the mix-up defence), in the flow, the registration and the token request.
    expect(params.get("redirect_uri")).toBe(mcpRedirectUri(stack.as.issuer));
    expect(first.flow.redirectUri).toBe(mcpRedirectUri(stack.as.issuer));
    expect(first.callbackUrl.pathname).toBe(`/settings/connections/callback/mcp/${mcpRedirectDigest(stack.as.issuer)}`);
    const registrations = sent.calls.filter((c) => c.method === "POST" && c.url === `${stack.as.issuer}/reg`);
    expect(registrations).toHaveLength(1);
    expect(JSON.parse(registrations[0]!.body)).toMatchObject({ redirect_uris: [mcpRedirectUri(stack.as.issuer)] });
    expect(params.get("state")).toBe(first.state);
    expect(first.flow).toMatchObject({ workspaceId, userId: ownerUserId, sessionRef, target: { kind: "mcp", serverUrl: stack.mcp.url, issuer: stack.as.issuer, resource: stack.mcp.url } });

    expect(first.done.serverUrl).toBe(stack.mcp.url);
    expect(first.conn).toMatchObject({ id: first.done.connectionId, kind: "mcp", issuer: stack.as.issuer, resource: stack.mcp.url, status: "active", scopes: ["mcp:tools"] });
    expect(first.conn.tokens.tokenType).toBe("Bearer");
    expect(first.conn.tokens.refreshToken).toEqual(expect.any(String));
    expect(first.conn.accessExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    // The token was issued for this server (RFC 8707) and the server, which checks the audience, accepts it.
    expect(await stack.as.introspect(first.conn.tokens.accessToken)).toMatchObject({ active: true, aud: stack.mcp.url, sub: "alice-sub" });
    expect(await callWhoami(stack.mcp.url, first.conn.tokens.accessToken)).toBe("alice-sub");
    // The resource went into the token request too, with the verifier of this flow.
    expect(tokenRequests(stack.as.issuer).at(-1)).toMatchObject({
      grant_type: "authorization_code",
      resource: stack.mcp.url,
      code_verifier: first.flow.codeVerifier,
      redirect_uri: mcpRedirectUri(stack.as.issuer),
    });

    const row = await rememberClientSecret(stack.as.issuer);
    expect(row).toMatchObject({ method: "dynamic", clientId: params.get("client_id"), tokenEndpointAuthMethod: "client_secret_basic", redirectUri: mcpRedirectUri(stack.as.issuer) });
    expect(row!.clientSecret).not.toBeNull();
    expect(stack.as.stats().registrations).toBe(1);

    // A second user's login at the same issuer reuses the registration.
    const member = await makeMember(workspaceId);
    const second = await login({ workspaceId, userId: member.userId, serverUrl: stack.mcp.url, login: "bob" });
    expect(second.authorizationUrl.searchParams.get("client_id")).toBe(row!.clientId);
    expect(await callWhoami(stack.mcp.url, second.conn.tokens.accessToken)).toBe("bob-sub");
    expect(stack.as.stats().registrations).toBe(1);
    expect(await db.mcpClient.count({ where: { issuer: stack.as.issuer } })).toBe(1);

    // Reconnecting replaces the same connection's tokens.
    const again = await login({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    expect(again.done.connectionId).toBe(first.done.connectionId);
    expect(again.conn.version).toBe(first.conn.version + 1);
  });

  it("refreshes with the resource (a rotated refresh token comes back), then revokes", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const { conn } = await login({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    const refreshed = await refreshMcpTokens({ workspaceId, issuer: conn.issuer!, resource: conn.resource!, refreshToken: conn.tokens.refreshToken! });
    secrets.add(refreshed.tokens.accessToken);
    secrets.add(refreshed.tokens.refreshToken!);
    expect(refreshed.tokens.refreshToken).not.toBe(conn.tokens.refreshToken);
    expect(refreshed.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(refreshed.scopes).toEqual(["mcp:tools"]);
    expect(tokenRequests(stack.as.issuer).at(-1)).toMatchObject({ grant_type: "refresh_token", resource: stack.mcp.url });
    expect(await callWhoami(stack.mcp.url, refreshed.tokens.accessToken)).toBe("alice-sub");

    // The consumed refresh token again: invalid_grant, told apart from "unavailable".
    const dead = await refusal(refreshMcpTokens({ workspaceId, issuer: conn.issuer!, resource: conn.resource!, refreshToken: conn.tokens.refreshToken! }));
    expect(dead).toBeInstanceOf(McpTokenError);
    expect((dead as McpTokenError).kind).toBe("invalid_grant");

    const ws2 = await makeWorkspace();
    const live = await login({ workspaceId: ws2.workspaceId, userId: ws2.ownerUserId, serverUrl: stack.mcp.url });
    stack.as.script({ nextRefresh: "down" });
    const down = await refusal(refreshMcpTokens({ workspaceId: ws2.workspaceId, issuer: stack.as.issuer, resource: stack.mcp.url, refreshToken: live.conn.tokens.refreshToken! }));
    expect((down as McpTokenError).kind).toBe("unavailable");
    expect(down.status).toBe(503);

    const before = stack.as.stats().revocations.length;
    expect(await revokeMcpTokens({ workspaceId: ws2.workspaceId, issuer: stack.as.issuer, resource: stack.mcp.url, tokens: live.conn.tokens })).toBe("revoked");
    expect(stack.as.stats().revocations.slice(before).map((r) => r.token_type_hint)).toEqual(["refresh_token", "access_token"]);
    await expect(callWhoami(stack.mcp.url, live.conn.tokens.accessToken)).rejects.toThrow();
  });

  it("keeps one registration when first logins race", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const urls = await Promise.all(
      Array.from({ length: 4 }, () => startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl: race.mcp.url }).then((r) => new URL(r.authorizationUrl))),
    );
    expect(await db.mcpClient.count({ where: { issuer: race.as.issuer } })).toBe(1);
    const row = await rememberClientSecret(race.as.issuer);
    expect(new Set(urls.map((u) => u.searchParams.get("client_id")))).toEqual(new Set([row!.clientId]));
    // Every flow completes with the one client that was kept.
    const done = await login({ workspaceId, userId: ownerUserId, serverUrl: race.mcp.url });
    expect(await callWhoami(race.mcp.url, done.conn.tokens.accessToken)).toBe("alice-sub");
  });
});

describe("the callback", () => {
  it("refuses a replayed state: the flow is taken once", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const a = await authorize({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    expect(await takeFlow(a.state, sessionRef)).toBeNull();
  });

  it("refuses an iss that is not the issuer, and a missing iss when the server advertises it (before any token request)", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const a = await authorize({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    expect(a.callbackUrl.searchParams.get("iss")).toBe(stack.as.issuer);
    const grants = stack.as.stats().authorizationCodeGrants;

    const forged = new URL(a.callbackUrl);
    forged.searchParams.set("iss", pre.as.issuer);
    const mismatch = await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: forged, actor: actorFor(ownerUserId) }));
    expect(mismatch.details).toEqual({ reason: "iss_mismatch" });

    const stripped = new URL(a.callbackUrl);
    stripped.searchParams.delete("iss");
    expect((await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: stripped, actor: actorFor(ownerUserId) }))).details).toEqual({ reason: "iss_missing" });

    const twice = new URL(a.callbackUrl);
    twice.searchParams.append("iss", stack.as.issuer);
    expect((await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: twice, actor: actorFor(ownerUserId) }))).code).toBe("bad_request");

    expect(stack.as.stats().authorizationCodeGrants).toBe(grants);
    expect(await readConnectionTokens({ workspaceId, userId: ownerUserId, ref: { kind: "mcp", serverUrl: stack.mcp.url } })).toBeNull();
  });

  it("turns an error response into a fixed sentence that does not echo the server", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const a = await authorize({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    const url = new URL(mcpRedirectUri(stack.as.issuer));
    url.search = new URLSearchParams({ error: "access_denied", error_description: "<script>upstream words</script>", iss: stack.as.issuer, state: a.state }).toString();
    const err = await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: url, actor: actorFor(ownerUserId) }));
    expect(err.details).toEqual({ reason: "authorization_denied" });
    expect(err.message).not.toContain("upstream");
    url.searchParams.set("error", "server_error");
    expect((await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: url, actor: actorFor(ownerUserId) }))).details).toEqual({ reason: "authorization_failed" });
  });

  it("a code the AS does not take (used already) is a 503 with a fixed sentence", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const a = await authorize({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    await finishMcpLogin({ flow: a.flow, callbackUrl: a.callbackUrl, actor: actorFor(ownerUserId) });
    const err = await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: a.callbackUrl, actor: actorFor(ownerUserId) }));
    expect(err.code).toBe("unavailable");
    expect(err.message).toBe("The MCP server's authorization server did not issue a token. Try the login again.");
  });
});

describe("the callback routes: the mix-up defence (a distinct redirect URI per authorization server)", () => {
  /** A real portal session of a new workspace's owner, as the browser carries it. */
  async function portal() {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const session = await createPortalSession({ workspaceId, userId: ownerUserId, method: "link" });
    return { workspaceId, userId: ownerUserId, sessionRef: sha256Hex(session.id), cookie: `gh_session=${session.id}` };
  }

  /** The browser arriving on `path` with `query`, through the route that serves that path. */
  async function arrive(path: string, query: URLSearchParams, cookie: string) {
    const req = new Request(`http://localhost:3000${path}?${query}`, { headers: { cookie } });
    const prefix = "/settings/connections/callback/mcp/";
    if (!path.startsWith(prefix)) return providerCallbackRoute(req);
    return mcpCallbackRoute(req);
  }

  const mcpPath = (issuer: string) => new URL(mcpRedirectUri(issuer)).pathname;

  /** An MCP login started in this portal session and authorized at the AS: the response as the AS sent it. */
  async function started(p: Awaited<ReturnType<typeof portal>>, serverUrl: string) {
    const { authorizationUrl } = await startMcpLogin({ workspaceId: p.workspaceId, userId: p.userId, sessionRef: p.sessionRef, serverUrl });
    const back = await authorizeHeadless(authorizationUrl, "alice");
    if (back.searchParams.get("code")) secrets.add(back.searchParams.get("code")!);
    return { back, state: back.searchParams.get("state")! };
  }

  it("completes a login that comes back on its own authorization server's path", async () => {
    const p = await portal();
    const { back } = await started(p, honest.mcp.url);
    expect(back.pathname).toBe(mcpPath(honest.as.issuer));
    const res = await arrive(back.pathname, back.searchParams, p.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/settings/connections?added=mcp");
    const conn = await readConnectionTokens({ workspaceId: p.workspaceId, userId: p.userId, ref: { kind: "mcp", serverUrl: honest.mcp.url } });
    expect(conn).toMatchObject({ issuer: honest.as.issuer, status: "active" });
    secrets.add(conn!.tokens.accessToken);
    if (conn!.tokens.refreshToken) secrets.add(conn!.tokens.refreshToken);
    expect(tokenRequests(honest.as.issuer).at(-1)).toMatchObject({ grant_type: "authorization_code", redirect_uri: mcpRedirectUri(honest.as.issuer) });
  });

  it("refuses a code from another authorization server, sent back with this flow's state on that server's path: nothing reaches this flow's token endpoint", async () => {
    const p = await portal();
    // The login the agent asked for, at the attacker's AS (`stack`): its state, its PKCE challenge.
    const attackerFlow = await started(p, stack.mcp.url);
    // The attacker's AS bounced the browser to the honest AS with Gatehouse's client there; the honest AS (which the
    // user consented to before) sends its code, without iss, to its own redirect URI, with the attacker's flow's state.
    const honestFlow = await started(await portal(), honest.mcp.url);
    expect(honestFlow.back.pathname).toBe(mcpPath(honest.as.issuer));
    const forged = new URLSearchParams(honestFlow.back.search);
    forged.set("state", attackerFlow.state);
    forged.delete("iss");
    const before = { attacker: stack.as.stats().tokenRequests, honest: honest.as.stats().tokenRequests, sent: sent.calls.length };

    const res = await arrive(honestFlow.back.pathname, forged, p.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/settings/connections?error=invalid_response");
    expect(stack.as.stats().tokenRequests).toBe(before.attacker);
    expect(honest.as.stats().tokenRequests).toBe(before.honest);
    expect(sent.calls.length).toBe(before.sent);
    // The flow was consumed (one-time) and nothing was connected.
    expect(await takeFlow(attackerFlow.state, p.sessionRef)).toBeNull();
    expect(await readConnectionTokens({ workspaceId: p.workspaceId, userId: p.userId, ref: { kind: "mcp", serverUrl: stack.mcp.url } })).toBeNull();
  });

  it("refuses an MCP flow's response on the provider callback, and a provider flow's on an MCP path", async () => {
    const p = await portal();
    const { back, state } = await started(p, stack.mcp.url);
    const before = { tokens: stack.as.stats().tokenRequests, sent: sent.calls.length };
    const onProvider = await arrive("/settings/connections/callback", back.searchParams, p.cookie);
    expect(onProvider.headers.get("location")).toBe("/settings/connections?error=invalid_response");
    expect(await takeFlow(state, p.sessionRef)).toBeNull();

    // A provider's flow (the shared connect callback) whose response comes back on an MCP authorization server's path.
    const providerState = await saveFlow({
      sessionRef: p.sessionRef,
      workspaceId: p.workspaceId,
      userId: p.userId,
      target: { kind: "provider", providerId: "corp" },
      codeVerifier: "v".repeat(43),
      nonce: "n",
      redirectUri: connectRedirectUri(),
    });
    const onMcp = await arrive(mcpPath(stack.as.issuer), new URLSearchParams({ code: "some-code", state: providerState }), p.cookie);
    expect(onMcp.headers.get("location")).toBe("/settings/connections?error=invalid_response");
    expect(await takeFlow(providerState, p.sessionRef)).toBeNull();

    expect(stack.as.stats().tokenRequests).toBe(before.tokens);
    expect(sent.calls.length).toBe(before.sent);
    expect(await readConnectionTokens({ workspaceId: p.workspaceId, userId: p.userId, ref: { kind: "mcp", serverUrl: stack.mcp.url } })).toBeNull();
  });

  it("an MCP path that is not a canonical digest is a 404 that takes no flow", async () => {
    const p = await portal();
    const { back, state } = await started(p, stack.mcp.url);
    const digest = mcpRedirectDigest(stack.as.issuer);
    // Malformed percent-escapes too (the fuzz found those throwing in Next's decoded params).
    for (const d of [`${digest}x`, digest.slice(1), `${digest.slice(0, -1)}B`, "..", "mcp", "%C0%AE%C0%AE", "%g5Jkq%EF%BB%BF", "%FF%FE"]) {
      const res = await mcpCallbackRoute(new Request(`http://localhost:3000/settings/connections/callback/mcp/${d}${back.search}`, { headers: { cookie: p.cookie } }));
      expect(res.status, d).toBe(404);
    }
    // Still there: the right path completes it.
    const res = await arrive(back.pathname, back.searchParams, p.cookie);
    expect(res.headers.get("location")).toBe("/settings/connections?added=mcp");
    expect(await takeFlow(state, p.sessionRef)).toBeNull();
    const conn = await readConnectionTokens({ workspaceId: p.workspaceId, userId: p.userId, ref: { kind: "mcp", serverUrl: stack.mcp.url } });
    secrets.add(conn!.tokens.accessToken);
    if (conn!.tokens.refreshToken) secrets.add(conn!.tokens.refreshToken);
  });

  it("finishMcpLogin itself refuses a response on another redirect URI than its flow's, before any token request", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const a = await authorize({ workspaceId, userId: ownerUserId, serverUrl: stack.mcp.url });
    const before = stack.as.stats().tokenRequests;
    for (const elsewhere of [mcpRedirectUri(honest.as.issuer), connectRedirectUri(), `https://localhost:3000${a.callbackUrl.pathname}`]) {
      const url = new URL(elsewhere);
      url.search = a.callbackUrl.search;
      expect((await refusal(finishMcpLogin({ flow: a.flow, callbackUrl: url, actor: actorFor(ownerUserId) }))).details, elsewhere).toEqual({ reason: "redirect_uri_mismatch" });
    }
    expect(stack.as.stats().tokenRequests).toBe(before);
    // On its own path it completes.
    await finishMcpLogin({ flow: a.flow, callbackUrl: a.callbackUrl, actor: actorFor(ownerUserId) });
    expect(stack.as.stats().tokenRequests).toBe(before + 1);
  });
});

describe("client registration", () => {
  it("uses the provider the operator pre-registered for this MCP server at its authorization server", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    await addProvider({
      workspaceId,
      id: "mcp-as",
      template: "generic-oidc",
      issuer: pre.as.issuer,
      clientId: PRE_CLIENT_ID,
      clientSecret: PRE_SECRET,
      scopes: "openid",
      mcpServer: pre.mcp.url,
      actor: { type: "system", id: "test" },
    });
    const done = await login({ workspaceId, userId: ownerUserId, serverUrl: pre.mcp.url });
    expect(done.authorizationUrl.searchParams.get("client_id")).toBe(PRE_CLIENT_ID);
    // The operator registered the connect callback for its client; that is the one this login sends.
    expect(done.authorizationUrl.searchParams.get("redirect_uri")).toBe(connectRedirectUri());
    expect(done.flow.redirectUri).toBe(connectRedirectUri());
    expect(pre.as.stats().registrations).toBe(0);
    expect(await db.mcpClient.count({ where: { issuer: pre.as.issuer } })).toBe(0);
    expect(await callWhoami(pre.mcp.url, done.conn.tokens.accessToken)).toBe("alice-sub");
    const refreshed = await refreshMcpTokens({ workspaceId, issuer: pre.as.issuer, resource: pre.mcp.url, refreshToken: done.conn.tokens.refreshToken! });
    secrets.add(refreshed.tokens.accessToken);
    secrets.add(refreshed.tokens.refreshToken!);
    expect(await callWhoami(pre.mcp.url, refreshed.tokens.accessToken)).toBe("alice-sub");

    // The operator's client is this workspace's: another workspace registers a client of its own (this AS allows it).
    const other = await makeWorkspace();
    const theirs = await login({ workspaceId: other.workspaceId, userId: other.ownerUserId, serverUrl: pre.mcp.url, login: "bob" });
    expect(theirs.authorizationUrl.searchParams.get("client_id")).not.toBe(PRE_CLIENT_ID);
    expect(pre.as.stats().registrations).toBe(1);
    await rememberClientSecret(pre.as.issuer);
    // ...and the first workspace still presents the operator's client.
    const again = await startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl: pre.mcp.url });
    expect(new URL(again.authorizationUrl).searchParams.get("client_id")).toBe(PRE_CLIENT_ID);
  });

  it("uses a pre-registered client only for its own MCP server, and only while that server names its issuer", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const operator = { type: "system" as const, id: "test" };
    await addProvider({ workspaceId, id: "mcp-a", template: "generic-oidc", issuer: pre.as.issuer, clientId: PRE_CLIENT_ID, clientSecret: PRE_SECRET, scopes: "openid", mcpServer: pre.mcp.url, actor: operator });
    const registrations = pre.as.stats().registrations;

    // Server B shares server A's authorization server: it gets Gatehouse's registration there, never A's client.
    const b = await login({ workspaceId, userId: ownerUserId, serverUrl: preB.url });
    const clientB = b.authorizationUrl.searchParams.get("client_id");
    expect(clientB).not.toBe(PRE_CLIENT_ID);
    const row = await rememberClientSecret(pre.as.issuer);
    expect(row).toMatchObject({ method: "dynamic", clientId: clientB });
    expect(pre.as.stats().registrations).toBeLessThanOrEqual(registrations + 1);
    expect(await pre.as.introspect(b.conn.tokens.accessToken)).toMatchObject({ active: true, aud: preB.url, client_id: clientB });
    expect(await callWhoami(preB.url, b.conn.tokens.accessToken)).toBe("alice-sub");
    // Its refresh and revocation present the same registered client (the operator's would be refused for these tokens).
    const refreshedB = await refreshMcpTokens({ workspaceId, issuer: pre.as.issuer, resource: b.conn.resource!, refreshToken: b.conn.tokens.refreshToken! });
    secrets.add(refreshedB.tokens.accessToken);
    secrets.add(refreshedB.tokens.refreshToken!);
    expect(await pre.as.introspect(refreshedB.tokens.accessToken)).toMatchObject({ active: true, client_id: clientB });

    // Server A, in the same workspace, still gets the operator's client; revoking its tokens presents it too.
    const a = await login({ workspaceId, userId: ownerUserId, serverUrl: pre.mcp.url });
    expect(a.authorizationUrl.searchParams.get("client_id")).toBe(PRE_CLIENT_ID);
    expect(await revokeMcpTokens({ workspaceId, issuer: pre.as.issuer, resource: a.conn.resource!, tokens: a.conn.tokens })).toBe("revoked");
    expect(await pre.as.introspect(a.conn.tokens.accessToken)).toMatchObject({ active: false });

    // A provider registered for a server at another authorization server than the one the server names is not used
    // (its secret would go to the wrong token endpoint).
    await addProvider({ workspaceId, id: "elsewhere", template: "generic-oidc", issuer: pre.as.issuer, clientId: PRE_CLIENT_ID, clientSecret: PRE_SECRET, scopes: "openid", mcpServer: stack.mcp.url, actor: operator });
    const other = await startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl: stack.mcp.url });
    const kept = await db.mcpClient.findUnique({ where: { issuer_redirectUri: { issuer: stack.as.issuer, redirectUri: mcpRedirectUri(stack.as.issuer) } } });
    expect(new URL(other.authorizationUrl).searchParams.get("client_id")).toBe(kept!.clientId);
  });

  it("a generic-oauth2 client pre-registered for the server is used only where its endpoints are the authorization server's", async () => {
    const operator = { type: "system" as const, id: "test" };
    const endpoints = { template: "generic-oauth2", authUrl: `${pre.as.issuer}/auth`, clientId: PRE_CLIENT_ID, clientSecret: PRE_SECRET, scopes: "mcp:tools", mcpServer: pre.mcp.url, actor: operator };
    const here = await makeWorkspace();
    await addProvider({ workspaceId: here.workspaceId, id: "mcp-oauth2", tokenUrl: `${pre.as.issuer}/token`, ...endpoints });
    const done = await login({ workspaceId: here.workspaceId, userId: here.ownerUserId, serverUrl: pre.mcp.url });
    expect(done.authorizationUrl.searchParams.get("client_id")).toBe(PRE_CLIENT_ID);
    expect(await callWhoami(pre.mcp.url, done.conn.tokens.accessToken)).toBe("alice-sub");

    // The same client id with another token endpoint: its secret would go where the server's AS does not answer.
    const elsewhere = await makeWorkspace();
    await addProvider({ workspaceId: elsewhere.workspaceId, id: "mcp-oauth2", tokenUrl: "https://tokens.example/token", ...endpoints });
    const started = await startMcpLogin({ workspaceId: elsewhere.workspaceId, userId: elsewhere.ownerUserId, sessionRef, serverUrl: pre.mcp.url });
    expect(new URL(started.authorizationUrl).searchParams.get("client_id")).not.toBe(PRE_CLIENT_ID);
  });

  it("never uses a provider because its issuer is the MCP server's authorization server's: a named template, or a generic one without --mcp-server", async () => {
    const operator = { type: "system" as const, id: "test" };
    const providers = [
      { id: "google", template: "google" },
      { id: "corp-sso", template: "generic-oidc", issuer: shadow.as.issuer, scopes: "openid email" },
    ];
    let registeredClientId: string | null = null;
    for (const provider of providers) {
      const { workspaceId, ownerUserId } = await makeWorkspace();
      await addProvider({ workspaceId, ...provider, clientId: FIRST_PARTY_CLIENT_ID, clientSecret: FIRST_PARTY_SECRET, actor: operator });
      const done = await login({ workspaceId, userId: ownerUserId, serverUrl: shadow.mcp.url });
      const clientId = done.authorizationUrl.searchParams.get("client_id");
      expect(clientId, provider.id).not.toBe(FIRST_PARTY_CLIENT_ID);
      // Dynamic registration, once for this issuer; the second workspace reuses it.
      expect(shadow.as.stats().registrations).toBe(1);
      const row = await rememberClientSecret(shadow.as.issuer);
      expect(row).toMatchObject({ method: "dynamic", clientId });
      registeredClientId ??= clientId;
      expect(clientId).toBe(registeredClientId);
      expect(await shadow.as.introspect(done.conn.tokens.accessToken)).toMatchObject({ active: true, client_id: clientId, aud: shadow.mcp.url });
      const refreshed = await refreshMcpTokens({ workspaceId, issuer: shadow.as.issuer, resource: done.conn.resource!, refreshToken: done.conn.tokens.refreshToken! });
      secrets.add(refreshed.tokens.accessToken);
      secrets.add(refreshed.tokens.refreshToken!);
      expect(await shadow.as.introspect(refreshed.tokens.accessToken)).toMatchObject({ active: true, client_id: clientId });

      // Not even a named template's row that names the server (written around addProvider, which refuses it).
      await db.provider.update({ where: { workspaceId_id: { workspaceId, id: provider.id } }, data: { mcpServer: shadow.mcp.url } });
      const again = await startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl: shadow.mcp.url });
      const expected = provider.template === "google" ? registeredClientId : FIRST_PARTY_CLIENT_ID;
      expect(new URL(again.authorizationUrl).searchParams.get("client_id"), provider.id).toBe(expected);
    }
    expect(shadow.as.stats().authorizationCodeGrants).toBeGreaterThan(0);
  });

  it("chooses in the spec's order: pre-registered, kept, Client ID Metadata Document (https only), dynamic, none", () => {
    const AS = "https://as.example";
    const both = { client_id_metadata_document_supported: true, registration_endpoint: "https://as.example/reg", authorization_response_iss_parameter_supported: true };
    expect(chooseRegistration({ issuer: AS, providerId: "p", stored: true, metadata: both, publicUrl: "https://gh.example" })).toEqual({ kind: "provider", providerId: "p" });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: true, metadata: both, publicUrl: "https://gh.example" })).toEqual({ kind: "stored" });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: both, publicUrl: "https://gh.example" })).toEqual({
      kind: "metadata_document",
      clientId: `https://gh.example/oauth/client-metadata/${mcpRedirectDigest(AS)}.json`,
    });
    // One client id per issuer.
    expect(chooseRegistration({ issuer: "https://as2.example", providerId: null, stored: false, metadata: both, publicUrl: "https://gh.example" })).toEqual({
      kind: "metadata_document",
      clientId: `https://gh.example/oauth/client-metadata/${mcpRedirectDigest("https://as2.example")}.json`,
    });
    expect(mcpRedirectDigest("https://as2.example")).not.toBe(mcpRedirectDigest(AS));
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: both, publicUrl: "http://localhost:3000" })).toEqual({ kind: "dynamic", registrationEndpoint: "https://as.example/reg" });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: { registration_endpoint: "https://as.example/reg" }, publicUrl: "https://gh.example" })).toEqual({
      kind: "dynamic",
      registrationEndpoint: "https://as.example/reg",
    });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: { client_id_metadata_document_supported: true }, publicUrl: "http://localhost:3000" })).toEqual({ kind: "none" });
    // Without iss (RFC 9207) a metadata document could be replayed at another server (mix-up): dynamic, or none.
    const noIss = { client_id_metadata_document_supported: true, registration_endpoint: "https://as.example/reg" };
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: noIss, publicUrl: "https://gh.example" })).toEqual({ kind: "dynamic", registrationEndpoint: "https://as.example/reg" });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: { client_id_metadata_document_supported: true }, publicUrl: "https://gh.example" })).toEqual({ kind: "none" });
    expect(chooseRegistration({ issuer: AS, providerId: null, stored: false, metadata: {}, publicUrl: "https://gh.example" })).toEqual({ kind: "none" });
  });

  it("serves one Client ID Metadata Document per issuer, whose only redirect URI is that issuer's callback", async () => {
    const get = (file: string) => clientMetadataRoute(new Request(`http://localhost:3000/oauth/client-metadata/${file}`));
    for (const issuer of [stack.as.issuer, honest.as.issuer]) {
      const digest = mcpRedirectDigest(issuer);
      const res = await get(`${digest}.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
      expect(await res.json()).toEqual({
        client_id: `http://localhost:3000/oauth/client-metadata/${digest}.json`,
        client_name: "Gatehouse",
        redirect_uris: [mcpRedirectUri(issuer)],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      });
      // The client id Gatehouse presents to that issuer is this document's own URL (https deployments only).
      expect(clientMetadataUrl(issuer, "https://gh.example")).toBe(`https://gh.example/oauth/client-metadata/${digest}.json`);
      expect(clientMetadataUrl(issuer, "http://localhost:3000")).toBeNull();
    }
    expect(clientMetadataDocument(mcpRedirectDigest(stack.as.issuer)).redirect_uris).toEqual([mcpRedirectUri(stack.as.issuer)]);
    const digest = mcpRedirectDigest(stack.as.issuer);
    // Anything but a canonical digest and ".json" is not a document.
    for (const file of [digest, `${digest}.JSON`, `${digest}.json.json`, `${digest.slice(0, -1)}B.json`, `${digest}A.json`, "client-metadata.json", ".json", "%41.json", `${digest.slice(1)}.json`, "%C0%AE%C0%AE", "%FF%FE"]) {
      const res = await get(file);
      expect(res.status, file).toBe(404);
      expect(res.headers.get("content-type"), file).not.toContain("json");
    }
  });
});

describe("refusals", () => {
  const start = async (serverUrl: string) => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    return refusal(startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl }));
  };

  it("refuses an authorization server that does not advertise S256 (absent, or only plain), before registering", async () => {
    for (const path of ["/nos256/mcp", "/plain/mcp"]) {
      const err = await start(`${fake.origin}${path}`);
      expect(err.code).toBe("bad_request");
      expect(err.details).toEqual({ reason: "pkce_unsupported" });
      expect(err.message).toBe("This MCP server's authorization server does not support PKCE with S256, which Gatehouse requires.");
    }
    expect(fake.requests.filter((r) => r.startsWith("POST /as-") || r.endsWith("/reg") || r === "POST /r")).toEqual([]);
  });

  it("refuses protected resource metadata for another resource, also a path prefix of this one", async () => {
    expect((await start(`${fake.origin}/mismatch/mcp`)).details).toEqual({ reason: "resource_mismatch" });
    expect((await start(`${fake.origin}/prefix/mcp`)).details).toEqual({ reason: "resource_mismatch" });
  });

  it("refuses authorization server metadata whose issuer is not the URL it came from", async () => {
    expect((await start(`${fake.origin}/wrong-issuer/mcp`)).details).toEqual({ reason: "issuer_mismatch" });
  });

  it("refuses when no registration is possible", async () => {
    expect((await start(`${fake.origin}/noreg/mcp`)).details).toEqual({ reason: "no_client_registration" });
  });

  it("a metadata server that fails is a 503 that names nothing it sent", async () => {
    const err = await start(`${fake.origin}/down/mcp`);
    expect(err.code).toBe("unavailable");
    expect(err.message).toBe("The MCP server's protected resource metadata could not be read. Try again in a minute.");
  });

  it("refuses an http URL, credentials, a fragment, and loopback without an exception, before any request", async () => {
    const before = sent.calls.length;
    for (const url of [
      `http://127.0.0.1:${unlisted.port}/mcp`,
      "http://mcp.example/mcp",
      `https://user:pw@127.0.0.1:${unlisted.port}/mcp`,
      "https://mcp.example/mcp#frag",
      "https://mcp.example/mcp#",
      "javascript:alert(1)",
      "not a url",
    ]) {
      expect((await start(url)).code).toBe("validation_failed");
    }
    expect(sent.calls.length).toBe(before);
    // https to loopback: a literal is refused outright, a name that resolves there reads like one that does not resolve.
    const literal = await start(`https://127.0.0.1:${unlisted.port}/mcp`);
    expect(literal.code).toBe("bad_request");
    const named = await start(`https://localhost:${unlisted.port}/mcp`);
    expect(named.code).toBe("unavailable");
    expect(named.message).not.toContain("127.0.0.1");
    expect(unlisted.connections).toBe(0);
  });
});

describe("leak canary", () => {
  it("no token, code, verifier or client secret in the log, nor a token, code or client secret in Redis", async () => {
    // A flow in progress, so Redis holds something to look at.
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const pending = await startMcpLogin({ workspaceId, userId: ownerUserId, sessionRef, serverUrl: stack.mcp.url });
    const state = new URL(pending.authorizationUrl).searchParams.get("state")!;

    expect(secrets.size).toBeGreaterThan(10);
    expect(logged.lines.length).toBeGreaterThan(0);
    const log = logged.lines.join("\n");
    for (const s of secrets) expect(log.includes(s), "a secret value reached the log").toBe(false);
    expect(log).not.toContain("upstream-secret-words");

    const values: string[] = [];
    for (const key of await scanKeys(redis, "*")) {
      const type = await redis.type(key);
      if (type === "string") values.push((await redis.get(key)) ?? "");
      else if (type === "hash") values.push(JSON.stringify(await redis.hgetall(key)));
    }
    expect(values.join("\n")).not.toContain(state);
    const pendingFlow: FlowRecord | null = await takeOwn(state, sessionRef);
    expect(pendingFlow).not.toBeNull();
    // A pending flow is sealed with a key derived from its state (which only the browser holds): not even the
    // pending PKCE verifier is readable in Redis, and no token, code or client secret ever is.
    for (const s of [...secrets, pendingFlow!.codeVerifier]) expect(values.join("\n").includes(s), "a secret value is in Redis").toBe(false);
  });
});
