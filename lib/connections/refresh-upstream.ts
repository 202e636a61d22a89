// One refresh_token grant at the connection's authorization server (SPEC §12), with maintained client code:
// openid-client for a workspace provider, the MCP SDK's refreshAuthorization (with the RFC 8707 resource) for an MCP
// server. Every request goes through lib/outbound. Only the caller (lib/connections/refresh.ts) calls this, under
// the connection's single-flight lock.
import "server-only";
import { discoverAuthorizationServerMetadata, refreshAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { InvalidGrantError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import * as oidc from "openid-client";
import { getConfig } from "../config";
import { DecryptError, open } from "../crypto/secret-box";
import { db } from "../db/client";
import { AppError } from "../errors";
import { log } from "../log";
import { isOutboundError, outboundFetchAsFetch } from "../outbound";
import { connectRedirectUri, providerClient } from "./oauth-client";
import type { ConnectionWithTokens } from "./store";

export type UpstreamRefresh =
  | { kind: "refreshed"; accessToken: string; refreshToken: string | null; tokenType: string; expiresAt: Date | null; scopes?: string[] }
  /** The authorization server refused the refresh token (invalid_grant): the grant is gone there. */
  | { kind: "invalid_grant" }
  /** Down, slow, 5xx, an answer we cannot use, or our own client configuration unusable: try again later. */
  | { kind: "unavailable"; why: string };

const fetchFn = outboundFetchAsFetch as unknown as FetchLike;

function expiry(expiresIn: unknown, now: number): Date | null {
  return typeof expiresIn === "number" && Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(now + expiresIn * 1000) : null;
}

function scopesOf(scope: unknown): string[] | undefined {
  return typeof scope === "string" && scope.trim() ? scope.trim().split(/\s+/) : undefined;
}

// What is logged about a failure: its kind, never a message (an authorization server's text may echo anything).
function failureKind(err: unknown): string {
  if (isOutboundError(err)) return `outbound:${err.kind}`;
  if (err instanceof oidc.ResponseBodyError) return `oauth:${err.status}`;
  if (err instanceof AppError) return `app:${err.code}`;
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.name : "error";
}

async function refreshAtProvider(connection: ConnectionWithTokens, refreshToken: string): Promise<UpstreamRefresh> {
  const startedAt = Date.now();
  try {
    const client = await providerClient({ workspaceId: connection.workspaceId, providerId: connection.providerId! });
    const res = await oidc.refreshTokenGrant(client.config, refreshToken, connection.resource ? { resource: connection.resource } : undefined);
    return {
      kind: "refreshed",
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? null,
      tokenType: res.token_type ?? "bearer",
      expiresAt: expiry(res.expires_in, startedAt),
      scopes: scopesOf(res.scope),
    };
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && err.error === "invalid_grant") return { kind: "invalid_grant" };
    return { kind: "unavailable", why: failureKind(err) };
  }
}

async function mcpClientInformation(issuer: string): Promise<{ client_id: string; client_secret?: string; token_endpoint_auth_method?: string } | null> {
  const redirectUri = connectRedirectUri();
  const row = await db.mcpClient.findUnique({
    where: { issuer_redirectUri: { issuer, redirectUri } },
    select: { clientId: true, clientSecret: true, tokenEndpointAuthMethod: true },
  });
  if (!row) return null;
  const secret = row.clientSecret ? open(getConfig().masterKeys, { kind: "mcp-client-secret", issuer, redirectUri }, row.clientSecret) : undefined;
  return { client_id: row.clientId, ...(secret ? { client_secret: secret } : {}), token_endpoint_auth_method: row.tokenEndpointAuthMethod };
}

async function refreshAtMcpServer(connection: ConnectionWithTokens, refreshToken: string): Promise<UpstreamRefresh> {
  const startedAt = Date.now();
  const issuer = connection.issuer;
  if (!issuer) return { kind: "unavailable", why: "no_issuer" };
  try {
    const clientInformation = await mcpClientInformation(issuer);
    if (!clientInformation) return { kind: "unavailable", why: "no_client_registration" };
    const metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
    // The token endpoint comes only from the issuer the connection was made with.
    if (!metadata || metadata.issuer.replace(/\/$/, "") !== issuer.replace(/\/$/, "")) return { kind: "unavailable", why: "metadata" };
    const res = await refreshAuthorization(issuer, {
      metadata,
      clientInformation,
      refreshToken,
      ...(connection.resource ? { resource: new URL(connection.resource) } : {}),
      fetchFn,
    });
    return {
      kind: "refreshed",
      accessToken: res.access_token,
      // refreshAuthorization puts the old refresh token back when the server sent none.
      refreshToken: res.refresh_token && res.refresh_token !== refreshToken ? res.refresh_token : null,
      tokenType: res.token_type || "bearer",
      expiresAt: expiry(res.expires_in, startedAt),
      scopes: scopesOf(res.scope),
    };
  } catch (err) {
    if (err instanceof InvalidGrantError) return { kind: "invalid_grant" };
    if (err instanceof DecryptError) log.error({ issuer, reason: err.reason }, "an MCP client secret could not be decrypted");
    return { kind: "unavailable", why: failureKind(err) };
  }
}

export function refreshUpstream(connection: ConnectionWithTokens, refreshToken: string): Promise<UpstreamRefresh> {
  return connection.kind === "provider" ? refreshAtProvider(connection, refreshToken) : refreshAtMcpServer(connection, refreshToken);
}
