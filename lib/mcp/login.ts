// Logging in to a remote MCP server (SPEC §12, MCP authorization 2025-11-25): discovery, Gatehouse's client at the
// server's authorization server, an authorization-code flow with PKCE S256, `state` bound to the portal session
// (one-time, 10 minutes) and the RFC 8707 `resource` in both the authorization and the token request; then the
// callback's RFC 9207 `iss` check, the code exchange and the tokens stored like any connection's.
import "server-only";
import { exchangeAuthorization, startAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { AuditActor } from "../audit";
import { saveFlow, type FlowRecord } from "../connections/flow-state";
import { saveConnection } from "../connections/store";
import { AppError } from "../errors";
import { authorizationServerMetadata, discoverMcpServer, mcpFetch, mcpServerUrl } from "./discovery";
import { resolveMcpClient } from "./registration";
import { checkedTokens, clientInformation, upstreamAccount } from "./tokens";
import { originOf, refused, upstreamFailure } from "./upstream";

export type StartMcpLoginInput = { workspaceId: string; userId: string; sessionRef: string; serverUrl: string; ip?: string | null };

/** The URL of the server's authorization page for this user; everything else stays on the server. */
export async function startMcpLogin({ workspaceId, userId, sessionRef, serverUrl }: StartMcpLoginInput): Promise<{ authorizationUrl: string }> {
  const url = mcpServerUrl(serverUrl);
  const found = await discoverMcpServer(url);
  const client = await resolveMcpClient({ workspaceId, serverUrl: url, issuer: found.issuer, metadata: found.metadata, scope: found.scope, register: true });
  // The issuer's own callback (or, for a client the operator pre-registered, the connect callback it registered): the
  // callback takes a response for this flow only on this path (see mcpRedirectUri).
  const redirectUri = client.redirectUri;
  // The SDK builds the URL and the S256 challenge (and refuses an explicit list without S256; an absent list was
  // refused by discovery). The state is added once the flow holding the verifier is stored under it.
  const { authorizationUrl, codeVerifier } = await startAuthorization(found.issuer, {
    metadata: found.metadata,
    clientInformation: { client_id: client.clientId },
    redirectUrl: redirectUri,
    scope: found.scope,
    // As the metadata spells it: a parsed URL's href adds a "/" to a pathless one, which exact-match servers refuse.
    resource: found.resource,
  });
  const state = await saveFlow({
    sessionRef,
    workspaceId,
    userId,
    target: { kind: "mcp", serverUrl: url, issuer: found.issuer, resource: found.resource },
    codeVerifier,
    nonce: null,
    redirectUri,
  });
  authorizationUrl.searchParams.set("state", state);
  return { authorizationUrl: authorizationUrl.href };
}

export type FinishMcpLoginInput = { flow: FlowRecord; callbackUrl: URL; actor: AuditActor; ip?: string | null };

/** The same redirect endpoint: origin and path (the query is the response). */
function sameEndpoint(url: URL, redirectUri: string): boolean {
  if (!URL.canParse(redirectUri)) return false;
  const expected = new URL(redirectUri);
  return url.origin === expected.origin && url.pathname === expected.pathname;
}

function single(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw new AppError("bad_request", "The authorization response repeats a parameter.");
  return all[0] ?? null;
}

/**
 * The callback of an MCP login: the route has already taken the flow (one-time) and checked it belongs to this
 * portal session. Returns the stored connection.
 */
export async function finishMcpLogin({ flow, callbackUrl, actor, ip }: FinishMcpLoginInput): Promise<{ connectionId: string; serverUrl: string }> {
  if (flow.target.kind !== "mcp") throw new AppError("bad_request", "This authorization response is not for an MCP server.");
  const { serverUrl, issuer, resource } = flow.target;
  // The response must have come back on the redirect URI this flow sent (its issuer's own path): a code another
  // authorization server sent lands on that server's path, and is not posted to this flow's token endpoint with its
  // verifier (the mix-up defence where the server does not send iss; the route checks this first).
  if (!sameEndpoint(callbackUrl, flow.redirectUri)) throw refused("redirect_uri_mismatch");
  const params = callbackUrl.searchParams;
  const metadata = await authorizationServerMetadata(issuer);

  // RFC 9207, before anything else in the response is believed (an error response carries iss too).
  const iss = single(params, "iss");
  if (iss === null && metadata.authorization_response_iss_parameter_supported === true) throw refused("iss_missing");
  if (iss !== null && iss !== issuer) throw refused("iss_mismatch");

  const error = single(params, "error");
  if (error !== null) throw refused(error === "access_denied" ? "authorization_denied" : "authorization_failed");
  const code = single(params, "code");
  if (!code) throw refused("no_code");

  const client = await resolveMcpClient({ workspaceId: flow.workspaceId, serverUrl, issuer, metadata, register: false });
  // The client the code was issued to is the one registered with this redirect URI (not, say, a provider the operator
  // pre-registered while the login was under way).
  if (client.redirectUri !== flow.redirectUri) throw refused("redirect_uri_mismatch");
  let response: OAuthTokens;
  let raw: unknown;
  try {
    response = await exchangeAuthorization(issuer, {
      metadata,
      clientInformation: clientInformation(client),
      authorizationCode: code,
      codeVerifier: flow.codeVerifier,
      redirectUri: flow.redirectUri,
      resource,
      // Keeps the raw answer for the account name: the SDK's schema strips members it does not know (sub, username).
      fetchFn: async (url, init) => {
        const res = await mcpFetch(url, init);
        if (res.ok) raw = await res.clone().json().catch(() => undefined);
        return res;
      },
    });
  } catch (err) {
    throw upstreamFailure(err, "token", originOf(issuer));
  }
  const { tokens, expiresAt, scopes } = checkedTokens(response, null);
  const account = upstreamAccount({ response, raw, issuer, clientId: client.clientId });
  const saved = await saveConnection({
    workspaceId: flow.workspaceId,
    userId: flow.userId,
    ref: { kind: "mcp", serverUrl },
    issuer,
    resource,
    upstreamAccount: account.name,
    upstreamSubject: account.subject,
    scopes: scopes ?? [],
    tokens,
    expiresAt,
    actor,
    ip,
  });
  return { connectionId: saved.id, serverUrl };
}
