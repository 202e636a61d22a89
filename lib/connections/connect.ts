// Connecting a provider account (SPEC §12): the authorization-code flow with PKCE S256, `state` (and `nonce` for
// OpenID Connect) bound to the portal session, one-time and 10 minutes; the callback checks state, session and iss
// (openid-client does RFC 9207), exchanges the code, names the upstream account and stores the tokens sealed.
// Disconnect revokes at the provider (RFC 7009) when it has a revocation endpoint, then deletes. All audited.
import "server-only";
import * as oidc from "openid-client";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { DecryptError } from "../crypto/secret-box";
import { db } from "../db/client";
import { uuidSchema } from "../db/sql";
import { AppError } from "../errors";
import { log } from "../log";
import { isOutboundError, outboundFetch } from "../outbound";
import type { AccountSource } from "./catalog";
import type { FlowRecord } from "./flow-state";
import { saveFlow } from "./flow-state";
import { withRefreshLease } from "./refresh";
import { connectRedirectUri, providerClient, upstreamUnavailable, type ProviderClient } from "./oauth-client";
import { deleteConnection, findConnection, isStorableToken, readConnectionById, saveConnection, type ConnectionWithTokens } from "./store";

export type PortalRef = { workspaceId: string; userId: string; sessionRef: string };

/** Starts the authorization: returns the provider's authorization URL to send the browser to. */
export async function startProviderConnect({ portal, providerId }: { portal: PortalRef; providerId: string }): Promise<{ authorizationUrl: string }> {
  const client = await providerClient({ workspaceId: portal.workspaceId, providerId });
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const nonce = client.oidc ? oidc.randomNonce() : null;
  const redirectUri = connectRedirectUri();
  const state = await saveFlow({
    sessionRef: portal.sessionRef,
    workspaceId: portal.workspaceId,
    userId: portal.userId,
    target: { kind: "provider", providerId },
    codeVerifier,
    nonce,
    redirectUri,
  });
  const params: Record<string, string> = {
    ...client.template.authorizationParams,
    redirect_uri: redirectUri,
    response_type: "code",
    state,
  };
  if (client.scopes.length) params.scope = client.scopes.join(client.template.scopeSeparator);
  if (nonce) params.nonce = nonce;
  if (client.template.pkce) {
    params.code_challenge = await oidc.calculatePKCECodeChallenge(codeVerifier);
    params.code_challenge_method = "S256";
  }
  return { authorizationUrl: oidc.buildAuthorizationUrl(client.config, params).href };
}

const MAX_ACCOUNT_LENGTH = 200;

function pick(record: unknown, path: readonly string[]): string | null {
  let value: unknown = record;
  for (const key of path) {
    if (!value || typeof value !== "object" || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return typeof value === "string" && value.length > 0 ? value.slice(0, MAX_ACCOUNT_LENGTH) : null;
}

const firstOf = (record: unknown, fields: readonly string[]) => fields.map((f) => pick(record, [f])).find((v) => v !== null) ?? null;

async function bearerJson(url: string, accessToken: string, init: { method?: "GET" | "POST"; body?: string } = {}): Promise<unknown> {
  const res = await outboundFetch(url, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${accessToken}`, ...(init.body ? { "content-type": "application/json" } : {}) },
    body: init.body,
    redirect: "manual",
  });
  if (res.status !== 200) throw new AppError("unavailable", "The provider did not say which account this is.");
  return res.json();
}

/** Who the tokens belong to upstream: a display name ("connected as …") and a stable subject when there is one. */
async function upstreamAccount(
  client: ProviderClient,
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
): Promise<{ account: string | null; subject: string | null }> {
  const claims = client.oidc ? tokens.claims() : undefined;
  const source: AccountSource = client.template.account;
  switch (source.from) {
    case "id_token":
      return { account: firstOf(claims, source.claims), subject: pick(claims, ["sub"]) };
    case "userinfo": {
      if (!client.userinfoUrl) return { account: pick(claims, ["sub"]), subject: pick(claims, ["sub"]) };
      const info = client.oidc
        ? await oidc.fetchUserInfo(client.config, tokens.access_token, pick(claims, ["sub"]) ?? oidc.skipSubjectCheck)
        : await bearerJson(client.userinfoUrl, tokens.access_token);
      return { account: firstOf(info, source.fields), subject: firstOf(info, ["sub", "id"]) };
    }
    case "token_response":
      return { account: pick(tokens, source.path), subject: pick(tokens, ["owner", "user", "id"]) ?? pick(tokens, ["bot_id"]) };
    case "graphql": {
      const data = await bearerJson(source.url, tokens.access_token, { method: "POST", body: JSON.stringify({ query: source.query }) });
      return { account: pick(data, source.path), subject: null };
    }
  }
}

function grantedScopes(client: ProviderClient, tokens: oidc.TokenEndpointResponse): string[] {
  if (typeof tokens.scope === "string" && tokens.scope.length) return [...new Set(tokens.scope.split(/[\s,]+/).filter(Boolean))];
  return client.scopes;
}

/** The callback's "the provider said no" or "this is not a valid answer": nothing the provider sent is echoed. */
export class ConnectRefused extends AppError {
  constructor(readonly why: "denied" | "invalid_response") {
    super(
      "bad_request",
      why === "denied"
        ? "The provider did not grant access, so nothing was connected. You can try again from the Connections page."
        : "The provider's answer could not be accepted, so nothing was connected. Start again from the Connections page.",
    );
    this.name = "ConnectRefused";
  }
}

/**
 * Completes a provider connection for a flow the caller already consumed (takeFlow) and matched to this portal
 * session. `callbackUrl` is the callback as received, rebuilt on the public URL so redirect_uri matches exactly.
 */
export async function finishProviderConnect({
  flow,
  callbackUrl,
  ip,
}: {
  flow: FlowRecord & { target: { kind: "provider" } };
  callbackUrl: URL;
  ip: string | null;
}): Promise<{ connectionId: string; providerId: string; reconnected: boolean; account: string | null }> {
  const { providerId } = flow.target;
  const actor: AuditActor = { type: "user", id: flow.userId };
  if (callbackUrl.searchParams.has("error")) {
    const error = callbackUrl.searchParams.get("error") ?? "";
    // Only a known RFC 6749 code goes to the audit log, never the provider's free text.
    const code = /^[a-z_]{1,40}$/.test(error) ? error : "other";
    await appendAuditEvent({ workspaceId: flow.workspaceId, actor, action: "connection.failed", target: `provider:${providerId}`, ip, data: { provider: providerId, reason: code } });
    throw new ConnectRefused("denied");
  }
  const client = await providerClient({ workspaceId: flow.workspaceId, providerId });
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  try {
    tokens = await oidc.authorizationCodeGrant(client.config, callbackUrl, {
      pkceCodeVerifier: client.template.pkce ? flow.codeVerifier : undefined,
      expectedState: callbackUrl.searchParams.get("state") ?? "",
      expectedNonce: flow.nonce ?? undefined,
      idTokenExpected: client.oidc,
    });
  } catch (err) {
    if (isOutboundError(err) || (err instanceof AppError && err.code === "unavailable")) throw upstreamUnavailable(err, providerId);
    // Wrong iss, a bad id_token, the code refused, a malformed answer: one refusal, and why in the audit.
    const reason = err instanceof oidc.ResponseBodyError ? `token_error:${/^[a-z_]{1,40}$/.test(err.error) ? err.error : "other"}` : (err as { code?: string }).code ?? "invalid_response";
    log.warn({ providerId, reason }, "a connect callback was refused");
    await appendAuditEvent({ workspaceId: flow.workspaceId, actor, action: "connection.failed", target: `provider:${providerId}`, ip, data: { provider: providerId, reason } });
    throw new ConnectRefused("invalid_response");
  }
  if (!isStorableToken(tokens.access_token) || (tokens.refresh_token !== undefined && !isStorableToken(tokens.refresh_token)) || (tokens.token_type && tokens.token_type.toLowerCase() !== "bearer")) {
    throw new ConnectRefused("invalid_response");
  }

  let named: { account: string | null; subject: string | null };
  try {
    named = await upstreamAccount(client, tokens);
  } catch (err) {
    throw upstreamUnavailable(err, providerId);
  }
  const expiresIn = tokens.expiresIn();
  const saved = await saveConnection({
    workspaceId: flow.workspaceId,
    userId: flow.userId,
    ref: { kind: "provider", providerId },
    issuer: client.config.serverMetadata().issuer,
    resource: null,
    upstreamAccount: named.account,
    upstreamSubject: named.subject,
    scopes: grantedScopes(client, tokens),
    tokens: { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? null, tokenType: "Bearer" },
    expiresAt: expiresIn !== undefined ? new Date(Date.now() + expiresIn * 1000) : null,
    actor,
    ip,
  });
  return { connectionId: saved.id, providerId, reconnected: saved.reconnected, account: named.account };
}

/** RFC 7009 at the provider, refresh token first (revoking it ends the grant at most servers), then the access token. */
async function revokeUpstream(client: ProviderClient, connection: ConnectionWithTokens): Promise<"revoked" | "unsupported" | "failed"> {
  if (!client.revocationUrl) return "unsupported";
  try {
    if (connection.tokens.refreshToken) await oidc.tokenRevocation(client.config, connection.tokens.refreshToken, { token_type_hint: "refresh_token" });
    await oidc.tokenRevocation(client.config, connection.tokens.accessToken, { token_type_hint: "access_token" });
    return "revoked";
  } catch (err) {
    log.warn({ providerId: client.providerId, kind: isOutboundError(err) ? err.kind : (err as { code?: string })?.code ?? "error" }, "revocation at the provider failed");
    return "failed";
  }
}

export type RevokeUpstream = (connection: ConnectionWithTokens) => Promise<"revoked" | "unsupported" | "failed">;

/**
 * Disconnect: revoke upstream, then delete (even when the revocation failed: the user asked for Gatehouse to let
 * go, and the audit records that the provider may still hold a live grant). not_found for anyone else's.
 */
export async function disconnect({
  workspaceId,
  userId,
  connectionId,
  ip,
  revokeMcp,
  actor = { type: "user", id: userId },
  reason,
}: {
  workspaceId: string;
  userId: string;
  connectionId: string;
  ip: string | null;
  revokeMcp?: RevokeUpstream;
  actor?: AuditActor;
  reason?: string;
}): Promise<{ revocation: "revoked" | "unsupported" | "failed" }> {
  const notFound = () => new AppError("not_found", "There is no such connection.");
  if (!uuidSchema.safeParse(connectionId).success) throw notFound();
  // Nobody takes a connection's lease for an id that is not theirs.
  if (!(await findConnectionRow({ workspaceId, userId, connectionId }))) throw notFound();
  // Under the refresh lease: no refresh can rotate the tokens between reading, revoking and deleting them. A
  // reconnect in between changes the version, and then the new tokens are read and revoked too.
  return withRefreshLease(connectionId, async () => {
    for (let attempt = 1; ; attempt++) {
      let connection: ConnectionWithTokens | null;
      try {
        connection = await readConnectionById({ workspaceId, userId, id: connectionId });
      } catch (err) {
        if (!(err instanceof DecryptError)) throw err;
        // Tokens that no key opens cannot be revoked, but the row can still go.
        const summary = await findConnectionRow({ workspaceId, userId, connectionId });
        if (!summary) throw notFound();
        await deleteConnection({ connection: summary, revocation: "failed", actor, ip, reason });
        return { revocation: "failed" as const };
      }
      if (!connection) throw notFound();
      let revocation: "revoked" | "unsupported" | "failed";
      if (connection.kind === "provider") {
        const client = await providerClient({ workspaceId, providerId: connection.providerId! }).catch(() => null);
        revocation = client ? await revokeUpstream(client, connection) : "failed";
      } else {
        revocation = revokeMcp ? await revokeMcp(connection).catch(() => "failed" as const) : "unsupported";
      }
      if (await deleteConnection({ connection, revocation, actor, ip, version: connection.version, reason })) return { revocation };
      if (attempt >= 3) throw new AppError("unavailable", "The connection kept changing while it was being disconnected. Try again.");
    }
  });
}

async function findConnectionRow({ workspaceId, userId, connectionId }: { workspaceId: string; userId: string; connectionId: string }) {
  const row = await db.connection.findFirst({ where: { id: connectionId, workspaceId, userId }, select: { id: true, workspaceId: true, userId: true, kind: true, providerId: true, serverUrl: true } });
  return row ? { ...row, kind: row.kind as "provider" | "mcp" } : null;
}

/** "already_connected" for the gateway (SPEC §7): a connection exists and is not waiting for a reconnect. */
export async function connectionWorks({ workspaceId, userId, providerId }: { workspaceId: string; userId: string; providerId: string }): Promise<boolean> {
  const found = await findConnection({ workspaceId, userId, ref: { kind: "provider", providerId } });
  return found !== null && found.status === "active";
}
