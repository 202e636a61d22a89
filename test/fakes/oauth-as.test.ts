// The OAuth / MCP fixtures against a maintained client (openid-client 6): they must behave like the real thing.
import * as oc from "openid-client";
import { afterEach, describe, expect, it } from "vitest";
import { callWhoami, startMcpServer, startMcpStack } from "./mcp-server";
import { type OAuthAS, authorizeHeadless, startOAuthAS } from "./oauth-as";
import { oauthAsControl } from "./oauth-control";

const REDIRECT = "http://127.0.0.1:9/callback";
const CLIENT = { client_id: "gatehouse-test", client_secret: "gatehouse-test-secret", redirect_uris: [REDIRECT] };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((stop) => stop()));
});

async function startAS(options: Parameters<typeof startOAuthAS>[0] = {}): Promise<OAuthAS> {
  const as = await startOAuthAS({ clients: [CLIENT], ...options });
  cleanups.push(() => as.stop());
  return as;
}

async function configFor(issuer: string, clientId = CLIENT.client_id, secret = CLIENT.client_secret) {
  return oc.discovery(new URL(issuer), clientId, undefined, oc.ClientSecretBasic(secret), { execute: [oc.allowInsecureRequests] });
}

/** A full authorization-code flow with PKCE, state, nonce (when openid) and the iss check, driven headlessly. */
async function codeFlow(config: oc.Configuration, opts: { login?: string; scope?: string; resource?: string; redirectUri?: string } = {}) {
  const scope = opts.scope ?? "openid email profile offline_access";
  const pkceCodeVerifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = scope.split(" ").includes("openid") ? oc.randomNonce() : undefined;
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: opts.redirectUri ?? REDIRECT,
    scope,
    code_challenge: await oc.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: "S256",
    state,
    ...(nonce ? { nonce } : {}),
    ...(opts.resource ? { resource: opts.resource } : {}),
  });
  const callback = await authorizeHeadless(url.href, opts.login ?? "alice");
  const tokens = await oc.authorizationCodeGrant(
    config,
    callback,
    { pkceCodeVerifier, expectedState: state, ...(nonce ? { expectedNonce: nonce, idTokenExpected: true } : {}) },
    opts.resource ? { resource: opts.resource } : undefined,
  );
  return { tokens, callback };
}

async function grantError(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof oc.ResponseBodyError) return err.error;
    throw err;
  }
  return undefined;
}

describe("startOAuthAS", () => {
  it("serves RFC 8414 and OIDC discovery with the same document", async () => {
    const as = await startAS();
    const oidc = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const oauth = (await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(oauth).toEqual(oidc);
    expect(oidc).toMatchObject({
      issuer: as.issuer,
      authorization_response_iss_parameter_supported: true,
      code_challenge_methods_supported: ["S256"],
      revocation_endpoint: `${as.issuer}/token/revocation`,
      introspection_endpoint: `${as.issuer}/token/introspection`,
      userinfo_endpoint: `${as.issuer}/me`,
    });
    expect(oidc.registration_endpoint).toBeUndefined();
    expect(as.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("runs the code flow with PKCE, nonce and iss, and issues id_token claims and a refresh token", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const { tokens, callback } = await codeFlow(config);
    expect(callback.searchParams.get("iss")).toBe(as.issuer);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBeGreaterThan(3500);
    expect(tokens.claims()).toMatchObject({ sub: "alice-sub", email: "alice@example.test", name: "Alice Upstream" });
    const info = await oc.fetchUserInfo(config, tokens.access_token, "alice-sub");
    expect(info).toMatchObject({ sub: "alice-sub", email: "alice@example.test" });
    expect(await as.introspect(tokens.access_token)).toMatchObject({ active: true, sub: "alice-sub", client_id: CLIENT.client_id });
    expect(as.stats()).toMatchObject({ tokenRequests: 1, authorizationCodeGrants: 1, refreshGrants: 0, refreshFailures: 0, registrations: 0 });
  });

  it("issues a refresh token without offline_access too, and honours the access token ttl", async () => {
    const as = await startAS({ accessTokenTtlSeconds: 5 });
    const { tokens } = await codeFlow(await configFor(as.issuer), { scope: "openid email", login: "bob" });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBeLessThanOrEqual(5);
    expect(tokens.claims()?.sub).toBe("bob-sub");
  });

  it("refuses a flow without PKCE and an unknown login", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const noPkce = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: "openid", state: "s1" });
    const denied = await authorizeHeadless(noPkce.href, "alice");
    expect(denied.searchParams.get("error")).toBe("invalid_request");
    const withPkce = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: "openid", state: "s2", code_challenge: await oc.calculatePKCECodeChallenge(oc.randomPKCECodeVerifier()), code_challenge_method: "S256" });
    const unknown = await authorizeHeadless(withPkce.href, "mallory");
    expect(unknown.searchParams.get("error")).toBe("access_denied");
  });

  it("rotates refresh tokens; a replayed one fails with invalid_grant and kills the newest one too", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const { tokens } = await codeFlow(config);
    const first = tokens.refresh_token!;
    const second = await oc.refreshTokenGrant(config, first);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(first);
    expect(second.claims()?.sub).toBe("alice-sub");
    expect(await as.introspect(second.access_token)).toMatchObject({ active: true });

    expect(await grantError(oc.refreshTokenGrant(config, first))).toBe("invalid_grant");
    // The replay revoked the grant: the rotated refresh token and the access tokens are dead as well.
    expect(await grantError(oc.refreshTokenGrant(config, second.refresh_token!))).toBe("invalid_grant");
    expect(await as.introspect(second.access_token)).toEqual({ active: false });
    expect(await as.introspect(tokens.access_token)).toEqual({ active: false });
    expect(as.stats()).toMatchObject({ tokenRequests: 4, authorizationCodeGrants: 1, refreshGrants: 3, refreshFailures: 2 });
  });

  it("records revocations (RFC 7009); revoking either token kills the whole grant's tokens", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const first = (await codeFlow(config)).tokens;
    await oc.tokenRevocation(config, first.access_token, { token_type_hint: "access_token" });
    expect(await as.introspect(first.access_token)).toEqual({ active: false });
    // oidc-provider revokes every token of the grant, even for an access token (only the Grant record survives).
    expect(await as.introspect(first.refresh_token!)).toEqual({ active: false });

    const second = (await codeFlow(config)).tokens;
    await oc.tokenRevocation(config, second.refresh_token!);
    expect(await as.introspect(second.refresh_token!)).toEqual({ active: false });
    expect(await as.introspect(second.access_token)).toEqual({ active: false });
    expect(await grantError(oc.refreshTokenGrant(config, second.refresh_token!))).toBe("invalid_grant");
    const { revocations } = as.stats();
    expect(revocations.map((r) => r.token_type_hint)).toEqual(["access_token", undefined]);
    expect(revocations.every((r) => !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });

  it("scripts refresh failures (invalid_grant, down) for the next `times` refreshes without touching the provider", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const { tokens } = await codeFlow(config);
    as.script({ nextRefresh: "invalid_grant" });
    expect(await grantError(oc.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    as.script({ nextRefresh: "down", times: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await oc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as { cause?: Response }).cause?.status ?? (err as { status?: number }).status).toBe(503);
    }
    // The scripted answers never reached oidc-provider: the original refresh token still works.
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    expect(as.stats()).toMatchObject({ tokenRequests: 5, authorizationCodeGrants: 1, refreshGrants: 4, refreshFailures: 3 });
    as.reset();
    expect(as.stats()).toEqual({ tokenRequests: 0, authorizationCodeGrants: 0, refreshGrants: 0, refreshFailures: 0, revocations: [], registrations: 0 });
  });

  it("scripts a slow refresh: the client that gives up first gets nothing and the refresh token is not rotated", async () => {
    const as = await startAS();
    const config = await configFor(as.issuer);
    const { tokens } = await codeFlow(config);
    as.script({ nextRefresh: "slow" });
    const started = Date.now();
    const impatient = await configFor(as.issuer);
    impatient[oc.customFetch] = (url, init) => fetch(url, { ...(init as RequestInit), signal: AbortSignal.timeout(500) });
    const err = await oc.refreshTokenGrant(impatient, tokens.refresh_token!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 50));
    expect(await oc.refreshTokenGrant(config, tokens.refresh_token!)).toMatchObject({ token_type: "bearer" });
    expect(as.stats()).toMatchObject({ refreshGrants: 2, refreshFailures: 1 });
  });

  it("offers the same controls over HTTP", async () => {
    const as = await startAS();
    const control = oauthAsControl(as.issuer);
    const config = await configFor(as.issuer);
    const { tokens } = await codeFlow(config);
    await control.script({ nextRefresh: "invalid_grant", times: 1 });
    expect(await grantError(oc.refreshTokenGrant(config, tokens.refresh_token!))).toBe("invalid_grant");
    expect(await control.stats()).toMatchObject({ tokenRequests: 2, refreshGrants: 1, refreshFailures: 1 });
    expect(await control.introspect(tokens.access_token)).toMatchObject({ active: true, sub: "alice-sub" });
    expect(await control.introspect("not-a-token")).toEqual({ active: false });
    await control.reset();
    expect(await control.stats()).toMatchObject({ tokenRequests: 0, refreshGrants: 0 });
    await expect(control.script({ nextRefresh: "sometimes" as never })).rejects.toThrow(/HTTP 400/);
  });

  it("registers clients dynamically (RFC 7591) when asked to", async () => {
    const as = await startAS({ dynamicRegistration: true });
    const meta = (await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json()) as { registration_endpoint?: string };
    expect(meta.registration_endpoint).toBe(`${as.issuer}/reg`);
    const config = await oc.dynamicClientRegistration(
      new URL(as.issuer),
      { redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" },
      oc.None(),
      { execute: [oc.allowInsecureRequests] },
    );
    expect(config.clientMetadata().client_id).toEqual(expect.any(String));
    const { tokens } = await codeFlow(config, { scope: "openid email" });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(as.stats().registrations).toBe(1);
  });
});

describe("startMcpStack", () => {
  async function stack() {
    const s = await startMcpStack();
    cleanups.push(() => s.stop());
    const config = await oc.dynamicClientRegistration(
      new URL(s.as.issuer),
      { redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none", client_name: "gatehouse-test" },
      oc.None(),
      { execute: [oc.allowInsecureRequests] },
    );
    return { ...s, config };
  }

  it("answers 401 with resource_metadata and serves RFC 9728 metadata", async () => {
    const { mcp, as } = await stack();
    const res = await fetch(mcp.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(`resource_metadata="${mcp.origin}/.well-known/oauth-protected-resource/mcp"`);
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const doc = (await (await fetch(`${mcp.origin}${path}`)).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({ resource: `${mcp.origin}/mcp`, authorization_servers: [as.issuer] });
    }
    const bad = await fetch(mcp.url, { method: "POST", headers: { authorization: "Bearer nope", "content-type": "application/json" }, body: "{}" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(mcp.stats()).toEqual({ authorized: 0, unauthorized: 2 });
  });

  it("accepts a token issued for resource=<mcp url>; whoami returns the subject, also after a refresh", async () => {
    const { mcp, as, config } = await stack();
    const { tokens } = await codeFlow(config, { scope: "mcp:tools", resource: mcp.url });
    expect(await as.introspect(tokens.access_token)).toMatchObject({ active: true, aud: mcp.url, scope: "mcp:tools" });
    expect(await callWhoami(mcp.url, tokens.access_token)).toBe("alice-sub");
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!, { resource: mcp.url });
    expect(await callWhoami(mcp.url, refreshed.access_token)).toBe("alice-sub");
    expect(mcp.stats().unauthorized).toBe(0);
    expect(mcp.stats().authorized).toBeGreaterThan(0);
  });

  it("refuses tokens for another resource, a userinfo token, a revoked token and an unknown resource", async () => {
    const { mcp, as, config } = await stack();
    const other = "http://127.0.0.1:9/other-mcp";
    as.allowResource(other);
    const forOther = await codeFlow(config, { scope: "mcp:tools", resource: other });
    expect(await as.introspect(forOther.tokens.access_token)).toMatchObject({ active: true, aud: other });
    await expect(callWhoami(mcp.url, forOther.tokens.access_token)).rejects.toThrow();

    const userinfoToken = await codeFlow(config, { scope: "openid email" });
    await expect(callWhoami(mcp.url, userinfoToken.tokens.access_token)).rejects.toThrow();

    const good = await codeFlow(config, { scope: "mcp:tools", resource: mcp.url, login: "bob" });
    expect(await callWhoami(mcp.url, good.tokens.access_token)).toBe("bob-sub");
    await oc.tokenRevocation(config, good.tokens.access_token);
    await expect(callWhoami(mcp.url, good.tokens.access_token)).rejects.toThrow();
    expect(mcp.stats().unauthorized).toBeGreaterThanOrEqual(3);

    const verifier = oc.randomPKCECodeVerifier();
    const url = oc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: "mcp:tools", resource: "http://127.0.0.1:9/unknown", code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state: "s" });
    const cb = await authorizeHeadless(url.href, "alice");
    expect(cb.searchParams.get("error")).toBe("invalid_target");
  });

  it("also introspects with client credentials discovered from the AS metadata", async () => {
    const as = await startAS({ dynamicRegistration: true });
    const mcp = await startMcpServer({ authorizationServer: as.issuer, introspect: as.introspectionClient });
    cleanups.push(() => mcp.stop());
    as.allowResource(mcp.url);
    const config = await configFor(as.issuer);
    const { tokens } = await codeFlow(config, { scope: "mcp:tools", resource: mcp.url, login: "bob" });
    expect(await callWhoami(mcp.url, tokens.access_token)).toBe("bob-sub");
    expect(mcp.stats()).toMatchObject({ unauthorized: 0 });
  });
});
