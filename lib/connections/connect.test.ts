// The provider connect flow against a real authorization server (oidc-provider): PKCE S256, state and nonce bound
// to the portal session, iss checked, tokens sealed, reconnect replaces, disconnect revokes upstream then deletes.
import { scanKeys } from "@/test/redis-scan";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { redis } from "@/lib/redis/client";
import { redisKeys } from "@/lib/redis/keys";
import { authorizeHeadless, startOAuthAS, type OAuthAS } from "@/test/fakes/oauth-as";
import { makeMember, makeWorkspace } from "@/test/factories";
import { ConnectRefused, connectionWorks, disconnect, finishProviderConnect, startProviderConnect } from "./connect";
import { takeFlow } from "./flow-state";
import { connectRedirectUri, forgetDiscovery } from "./oauth-client";
import { addProvider } from "./providers";
import { removeProviderAndConnections } from "./provider-removal";
import { listConnections, readConnectionById } from "./store";

let as: OAuthAS;

/** takeFlow as the callback uses it, for the session that started the flow. */
async function take(state: string | null, sessionRef: string) {
  const flow = await takeFlow(state, sessionRef);
  if (flow === "other_session") throw new Error("the flow belongs to another session");
  return flow;
}
const CLIENT = { client_id: "gatehouse-connect-test", client_secret: randomBytes(16).toString("hex") };

beforeAll(async () => {
  as = await startOAuthAS({ clients: [{ ...CLIENT, redirect_uris: [connectRedirectUri()] }], accessTokenTtlSeconds: 600 });
  getConfig().outboundAllow.push(new URL(as.issuer).host);
  forgetDiscovery();
});
afterAll(async () => {
  await as?.stop();
});

async function setup() {
  const ws = await makeWorkspace();
  await addProvider({
    workspaceId: ws.workspaceId,
    id: "corp",
    template: "generic-oidc",
    clientId: CLIENT.client_id,
    clientSecret: CLIENT.client_secret,
    issuer: as.issuer,
    scopes: "openid email offline_access",
    actor: { type: "system", id: "test" },
  });
  const member = await makeMember(ws.workspaceId);
  const portal = { workspaceId: ws.workspaceId, userId: member.userId, sessionRef: randomBytes(32).toString("hex") };
  return { ws, member, portal };
}

async function connect(portal: { workspaceId: string; userId: string; sessionRef: string }, login = "alice", tamper?: (u: URL) => void) {
  const { authorizationUrl } = await startProviderConnect({ portal, providerId: "corp" });
  const callback = await authorizeHeadless(authorizationUrl, login);
  tamper?.(callback);
  const flow = await take(callback.searchParams.get("state"), portal.sessionRef);
  expect(flow).not.toBeNull();
  if (flow!.target.kind !== "provider") throw new Error("unexpected flow");
  return finishProviderConnect({ flow: { ...flow!, target: flow!.target }, callbackUrl: callback, ip: "203.0.113.9" });
}

describe("connect", () => {
  it("sends PKCE S256, state and nonce, and binds the state to the portal session", async () => {
    const { portal } = await setup();
    const { authorizationUrl } = await startProviderConnect({ portal, providerId: "corp" });
    const url = new URL(authorizationUrl);
    expect(url.origin).toBe(as.issuer);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("nonce")).toBeTruthy();
    expect(url.searchParams.get("redirect_uri")).toBe(connectRedirectUri());
    expect(url.searchParams.get("scope")).toBe("openid email offline_access");
    const state = url.searchParams.get("state")!;
    // Redis holds it under a hash only, with the verifier the browser never sees.
    const keys = await scanKeys(redis, "oauth:flow:*");
    expect(keys.some((k) => k.includes(state))).toBe(false);
    const flow = await take(state, portal.sessionRef);
    expect(flow).toMatchObject({ sessionRef: portal.sessionRef, workspaceId: portal.workspaceId, userId: portal.userId, target: { kind: "provider", providerId: "corp" } });
    expect(authorizationUrl).not.toContain(flow!.codeVerifier);
    // One-time.
    expect(await take(state, portal.sessionRef)).toBeNull();
  });

  it("another portal session's callback neither takes nor burns the flow", async () => {
    const { portal } = await setup();
    const { authorizationUrl } = await startProviderConnect({ portal, providerId: "corp" });
    const state = new URL(authorizationUrl).searchParams.get("state")!;
    expect(await takeFlow(state, "ef".repeat(32))).toBe("other_session");
    expect(await takeFlow(state, "ef".repeat(32))).toBe("other_session");
    expect(await take(state, portal.sessionRef)).toMatchObject({ sessionRef: portal.sessionRef });
    expect(await takeFlow(state, "ef".repeat(32))).toBeNull();
  });

  it("connects, names the upstream account, and stores the tokens sealed", async () => {
    const { portal } = await setup();
    const done = await connect(portal);
    expect(done).toMatchObject({ providerId: "corp", reconnected: false, account: "alice@example.test" });
    const [summary] = await listConnections(portal);
    expect(summary).toMatchObject({ kind: "provider", providerId: "corp", status: "active", upstreamAccount: "alice@example.test" });
    expect(summary!.scopes).toEqual(expect.arrayContaining(["openid", "email"]));
    const full = await readConnectionById({ ...portal, id: done.connectionId });
    expect(full!.tokens.refreshToken).toBeTruthy();
    expect((await as.introspect(full!.tokens.accessToken)).active).toBe(true);
    // Nothing in clear in the row.
    const raw = await db.$queryRaw<{ row: string }[]>`SELECT row_to_json(c)::text AS row FROM connections c WHERE id = ${done.connectionId}::uuid`;
    expect(raw[0]!.row).not.toContain(full!.tokens.accessToken);
    expect(raw[0]!.row).not.toContain(full!.tokens.refreshToken!);
    expect(await connectionWorks({ workspaceId: portal.workspaceId, userId: portal.userId, providerId: "corp" })).toBe(true);
    const audit = await db.auditEvent.findMany({ where: { workspaceId: portal.workspaceId, action: "connection.connected" } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.data)).not.toContain(full!.tokens.accessToken);
  });

  it("refuses a callback whose iss is another issuer (RFC 9207), and stores nothing", async () => {
    const { portal } = await setup();
    await expect(connect(portal, "alice", (u) => u.searchParams.set("iss", "https://evil.example"))).rejects.toBeInstanceOf(ConnectRefused);
    expect(await listConnections(portal)).toEqual([]);
    const failed = await db.auditEvent.findMany({ where: { workspaceId: portal.workspaceId, action: "connection.failed" } });
    expect(failed).toHaveLength(1);
  });

  it("refuses a forged code and a provider's error answer", async () => {
    const { portal } = await setup();
    await expect(connect(portal, "alice", (u) => u.searchParams.set("code", "forged"))).rejects.toBeInstanceOf(ConnectRefused);
    const { authorizationUrl } = await startProviderConnect({ portal, providerId: "corp" });
    const state = new URL(authorizationUrl).searchParams.get("state")!;
    const flow = await take(state, portal.sessionRef);
    const denied = new URL(connectRedirectUri());
    denied.search = new URLSearchParams({ error: "access_denied", error_description: "<script>nope</script>", state }).toString();
    await expect(finishProviderConnect({ flow: { ...flow!, target: { kind: "provider", providerId: "corp" } }, callbackUrl: denied, ip: null })).rejects.toMatchObject({ why: "denied" });
    expect(await listConnections(portal)).toEqual([]);
  });

  it("reconnect replaces the tokens of the same connection", async () => {
    const { portal } = await setup();
    const first = await connect(portal);
    const before = await readConnectionById({ ...portal, id: first.connectionId });
    const second = await connect(portal);
    expect(second).toMatchObject({ connectionId: first.connectionId, reconnected: true });
    const after = await readConnectionById({ ...portal, id: first.connectionId });
    expect(after!.version).toBe(before!.version + 1);
    expect(after!.tokens.accessToken).not.toBe(before!.tokens.accessToken);
    expect(await listConnections(portal)).toHaveLength(1);
  });

  it("disconnect revokes at the provider (RFC 7009), then deletes; nobody else can", async () => {
    const { portal, ws } = await setup();
    const done = await connect(portal);
    const { tokens } = (await readConnectionById({ ...portal, id: done.connectionId }))!;
    const other = await makeMember(ws.workspaceId);
    await expect(disconnect({ workspaceId: portal.workspaceId, userId: other.userId, connectionId: done.connectionId, ip: null })).rejects.toMatchObject({ code: "not_found" });
    const theirs = await makeWorkspace();
    await expect(disconnect({ workspaceId: theirs.workspaceId, userId: portal.userId, connectionId: done.connectionId, ip: null })).rejects.toMatchObject({ code: "not_found" });

    const revocationsBefore = as.stats().revocations.length;
    expect(await disconnect({ workspaceId: portal.workspaceId, userId: portal.userId, connectionId: done.connectionId, ip: null })).toEqual({ revocation: "revoked" });
    expect(as.stats().revocations.length - revocationsBefore).toBe(2);
    expect((await as.introspect(tokens.accessToken)).active).toBe(false);
    expect((await as.introspect(tokens.refreshToken!)).active).toBe(false);
    expect(await listConnections(portal)).toEqual([]);
    const audit = await db.auditEvent.findMany({ where: { workspaceId: portal.workspaceId, action: "connection.disconnected" } });
    expect(audit.map((a) => a.data)).toEqual([{ connectionId: done.connectionId, revocation: "revoked" }]);
  });

  it("disconnect waits for a refresh holding the connection's lease, so it revokes the tokens as they are after it", async () => {
    const { portal } = await setup();
    const done = await connect(portal);
    const key = redisKeys.connectionRefresh(done.connectionId);
    await redis.set(key, "someone-refreshing", "PX", 10_000);
    let finished = false;
    const pending = disconnect({ workspaceId: portal.workspaceId, userId: portal.userId, connectionId: done.connectionId, ip: null }).then((r) => {
      finished = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(finished).toBe(false);
    expect(await listConnections(portal)).toHaveLength(1);
    await redis.del(key);
    expect(await pending).toEqual({ revocation: "revoked" });
    expect(await listConnections(portal)).toEqual([]);
    // The lease is released afterwards.
    expect(await redis.get(key)).toBeNull();
  });

  it("an id that is not a UUID is simply not found (never a 5xx)", async () => {
    const { portal } = await setup();
    for (const id of ["-".repeat(36), "x", "00000000-0000-0000-0000-00000000000g", `${"a".repeat(8)}-${"a".repeat(27)}`]) {
      await expect(disconnect({ workspaceId: portal.workspaceId, userId: portal.userId, connectionId: id, ip: null })).rejects.toMatchObject({ code: "not_found" });
    }
  });

  it("removing the provider disconnects every user's connection to it first: revoked upstream, audited with the reason", async () => {
    const { portal, ws } = await setup();
    const other = await makeMember(ws.workspaceId);
    const otherPortal = { workspaceId: ws.workspaceId, userId: other.userId, sessionRef: randomBytes(32).toString("hex") };
    const mine = await connect(portal);
    const theirs = await connect(otherPortal, "bob");
    const tokens = await Promise.all([mine, theirs].map(async (c, i) => (await readConnectionById({ ...(i ? otherPortal : portal), id: c.connectionId }))!.tokens));
    const result = await removeProviderAndConnections({ workspaceId: ws.workspaceId, id: "corp", actor: { type: "system", id: "test" } });
    expect(result).toEqual({ removed: true, disconnected: 2 });
    for (const t of tokens) expect((await as.introspect(t.accessToken)).active).toBe(false);
    const audit = await db.auditEvent.findMany({ where: { workspaceId: ws.workspaceId, action: "connection.disconnected" }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => a.data)).toEqual(
      expect.arrayContaining([
        { connectionId: mine.connectionId, revocation: "revoked", reason: "provider_removed" },
        { connectionId: theirs.connectionId, revocation: "revoked", reason: "provider_removed" },
      ]),
    );
    expect(await db.connection.count({ where: { workspaceId: ws.workspaceId } })).toBe(0);
  });

  it("a provider that cannot be reached is a 503, and nothing is stored", async () => {
    const ws = await makeWorkspace();
    const member = await makeMember(ws.workspaceId);
    await addProvider({
      workspaceId: ws.workspaceId,
      id: "down",
      template: "generic-oidc",
      clientId: "x",
      issuer: "https://127.0.0.1:1",
      actor: { type: "system", id: "test" },
    }).catch(() => undefined);
    // A literal loopback issuer is refused at configuration already; a name that resolves nowhere fails at use.
    await addProvider({ workspaceId: ws.workspaceId, id: "nowhere", template: "generic-oidc", clientId: "x", issuer: "https://nowhere.invalid", actor: { type: "system", id: "test" } });
    await expect(
      startProviderConnect({ portal: { workspaceId: ws.workspaceId, userId: member.userId, sessionRef: "a".repeat(64) }, providerId: "nowhere" }),
    ).rejects.toMatchObject({ code: "unavailable" });
  });
});
