// One refresh_token grant at the connection's authorization server (SPEC §12), with maintained client code:
// openid-client for a workspace provider; for an MCP server, lib/mcp's refresher (passed in, with the RFC 8707 resource). Every request goes through lib/outbound. Only the caller (lib/connections/refresh.ts) calls this, under
// the connection's single-flight lock.
import "server-only";
import * as oidc from "openid-client";
import { AppError } from "../errors";
import { isOutboundError } from "../outbound";
import { providerClient } from "./oauth-client";
import { isStorableToken, type ConnectionWithTokens } from "./store";

export type UpstreamRefresh =
  | { kind: "refreshed"; accessToken: string; refreshToken: string | null; tokenType: string; expiresAt: Date | null; scopes?: string[] }
  /** The authorization server refused the refresh token (invalid_grant): the grant is gone there. */
  | { kind: "invalid_grant" }
  /** Down, slow, 5xx, an answer we cannot use, or our own client configuration unusable: try again later. */
  | { kind: "unavailable"; why: string };

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
    // What is stored must be a usable bearer token set; anything else is treated as the provider failing.
    const tokenType = (res.token_type ?? "bearer").toLowerCase();
    if (tokenType !== "bearer" || !isStorableToken(res.access_token) || (res.refresh_token !== undefined && !isStorableToken(res.refresh_token))) {
      return { kind: "unavailable", why: "unusable_token_response" };
    }
    return {
      kind: "refreshed",
      accessToken: res.access_token,
      refreshToken: res.refresh_token ?? null,
      tokenType: "Bearer",
      expiresAt: expiry(res.expires_in, startedAt),
      scopes: scopesOf(res.scope),
    };
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError && err.error === "invalid_grant") return { kind: "invalid_grant" };
    return { kind: "unavailable", why: failureKind(err) };
  }
}

/**
 * How an MCP connection is refreshed. lib/mcp (which builds on this folder, so it cannot be imported here) owns the
 * client registration the tokens were issued to; the caller of refreshConnection passes lib/mcp's refresher in.
 */
export type McpRefresher = (input: { workspaceId: string; issuer: string; resource: string; refreshToken: string }) => Promise<UpstreamRefresh>;

export async function refreshUpstream(connection: ConnectionWithTokens, refreshToken: string, mcp?: McpRefresher): Promise<UpstreamRefresh> {
  if (connection.kind === "provider") return refreshAtProvider(connection, refreshToken);
  if (!mcp || !connection.issuer || !connection.resource) return { kind: "unavailable", why: "no_mcp_refresher" };
  return mcp({ workspaceId: connection.workspaceId, issuer: connection.issuer, resource: connection.resource, refreshToken });
}
