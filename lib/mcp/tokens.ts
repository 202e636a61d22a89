// An MCP connection's tokens after the login: checked token responses, the refresh (RFC 6749 §6 with the RFC 8707
// resource, through the SDK's refreshAuthorization) and the revocation on disconnect (RFC 7009, openid-client).
// The same client the login used is presented every time (registration.ts keeps it per issuer).
import "server-only";
import { refreshAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { InvalidGrantError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import * as oidc from "openid-client";
import { clientAuthentication } from "../connections/oauth-client";
import { isStorableToken, type TokenSet } from "../connections/store";
import { AppError } from "../errors";
import { log } from "../log";
import { outboundFetchAsFetch } from "../outbound";
import { authorizationServerMetadata, mcpFetch } from "./discovery";
import { resolveMcpClient, type McpClient } from "./registration";
import { failureKind, originOf, refused, upstreamFailure, usableUrl } from "./upstream";

const VISIBLE = /^[\x20-\x7e]+$/;

/** The SDK's view of Gatehouse's client: its auth method picks Basic, post or none for the token request. */
export function clientInformation(client: McpClient): OAuthClientInformationMixed {
  return {
    client_id: client.clientId,
    ...(client.clientSecret !== null ? { client_secret: client.clientSecret } : {}),
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
  };
}

/** A token response as Gatehouse stores it; anything it would not use is refused, never half-stored. */
export function checkedTokens(response: OAuthTokens, previousRefreshToken: string | null): { tokens: TokenSet; expiresAt: Date | null; scopes: string[] | undefined } {
  if (response.token_type.toLowerCase() !== "bearer") throw refused("token_type");
  const access = response.access_token;
  const refresh = response.refresh_token ?? previousRefreshToken;
  if (!isStorableToken(access)) throw new Error("token response: unusable access token");
  if (refresh !== null && !isStorableToken(refresh)) throw new Error("token response: unusable refresh token");
  const lifetime = response.expires_in;
  const expiresAt = typeof lifetime === "number" && Number.isFinite(lifetime) && lifetime >= 0 ? new Date(Date.now() + Math.min(lifetime, 10 * 365 * 86400) * 1000) : null;
  const scopes = typeof response.scope === "string" ? response.scope.split(" ").filter((s) => s.length > 0 && s.length <= 256 && VISIBLE.test(s)) : undefined;
  return { tokens: { accessToken: access, refreshToken: refresh, tokenType: "Bearer" }, expiresAt, scopes };
}

function label(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 && value.length <= 256 && !/[\0-\x1f\x7f]/.test(value) ? value : null;
}

function idTokenClaims(idToken: string, issuer: string, clientId: string): Record<string, unknown> | null {
  const parts = idToken.split(".");
  if (parts.length !== 3) return null;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
    // Straight from the token endpoint over TLS (OpenID Connect Core §3.1.3.7): its issuer and audience still must be ours.
    const aud = claims.aud;
    const forUs = aud === clientId || (Array.isArray(aud) && aud.includes(clientId));
    return claims.iss === issuer && forUs ? claims : null;
  } catch {
    return null;
  }
}

/** The upstream account a token response names: an id_token's claims, else a `sub`/`username` of the response. */
export function upstreamAccount({ response, raw, issuer, clientId }: { response: OAuthTokens; raw: unknown; issuer: string; clientId: string }): {
  name: string | null;
  subject: string | null;
} {
  const claims = response.id_token ? idTokenClaims(response.id_token, issuer, clientId) : null;
  if (claims) {
    const subject = label(claims.sub);
    return { subject, name: label(claims.preferred_username) ?? label(claims.email) ?? subject };
  }
  const body = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const subject = label(body.sub);
  return { subject, name: label(body.username) ?? subject };
}

/** A refresh that did not work: `invalid_grant` (the grant is dead upstream: reconnect) or `unavailable` (try later). */
export class McpTokenError extends AppError {
  constructor(readonly kind: "invalid_grant" | "unavailable") {
    super(
      "unavailable",
      kind === "invalid_grant"
        ? "The MCP server's authorization server no longer accepts this connection; reconnect it."
        : "The MCP server's authorization server could not refresh the token. Try again in a minute.",
    );
    this.name = "McpTokenError";
  }
}

export type RefreshMcpTokensInput = { workspaceId: string; issuer: string; resource: string; refreshToken: string };
export type RefreshedMcpTokens = { tokens: TokenSet; expiresAt: Date | null; scopes?: string[] };

/**
 * One refresh at the issuer's token endpoint with the connection's resource. A rotated refresh token comes back
 * in `tokens.refreshToken`; without one the old one stays. Throws McpTokenError and nothing else.
 */
export async function refreshMcpTokens({ workspaceId, issuer, resource, refreshToken }: RefreshMcpTokensInput): Promise<RefreshedMcpTokens> {
  try {
    const metadata = await authorizationServerMetadata(issuer);
    const client = await resolveMcpClient({ workspaceId, serverUrl: resource, issuer, metadata, register: false });
    const response = await refreshAuthorization(issuer, { metadata, clientInformation: clientInformation(client), refreshToken, resource, fetchFn: mcpFetch });
    const { tokens, expiresAt, scopes } = checkedTokens(response, refreshToken);
    return { tokens, expiresAt, ...(scopes ? { scopes } : {}) };
  } catch (err) {
    if (err instanceof McpTokenError) throw err;
    if (err instanceof InvalidGrantError) {
      log.info({ issuer: originOf(issuer) }, "an MCP refresh token was refused (invalid_grant)");
      throw new McpTokenError("invalid_grant");
    }
    log.warn({ issuer: originOf(issuer), kind: failureKind(err) }, "an MCP token refresh failed");
    throw new McpTokenError("unavailable");
  }
}

/** `resource`: the connection's RFC 8707 resource (its MCP server), which picks the client its tokens were issued to. */
export type RevokeMcpTokensInput = { workspaceId: string; issuer: string; resource: string; tokens: Pick<TokenSet, "accessToken" | "refreshToken"> };

/**
 * RFC 7009 at the issuer's revocation endpoint, refresh token first (that ends the grant at most servers), then the
 * access token. For deleteConnection's `revocation`: "unsupported" when the server advertises no endpoint.
 */
export async function revokeMcpTokens({ workspaceId, issuer, resource, tokens }: RevokeMcpTokensInput): Promise<"revoked" | "unsupported" | "failed"> {
  try {
    const metadata = await authorizationServerMetadata(issuer);
    if (!metadata.revocation_endpoint) return "unsupported";
    const client = await resolveMcpClient({ workspaceId, serverUrl: resource, issuer, metadata, register: false });
    const auth = clientAuthentication(client.tokenEndpointAuthMethod, client.clientSecret);
    const config = new oidc.Configuration(metadata as unknown as oidc.ServerMetadata, client.clientId, undefined, auth);
    config[oidc.customFetch] = outboundFetchAsFetch as unknown as oidc.CustomFetch;
    // http only ever reaches here for a GATEHOUSE_OUTBOUND_ALLOW host:port (usableUrl checked it at discovery).
    if (new URL(metadata.revocation_endpoint).protocol === "http:" && usableUrl(metadata.revocation_endpoint)) oidc.allowInsecureRequests(config);
    if (tokens.refreshToken) await oidc.tokenRevocation(config, tokens.refreshToken, { token_type_hint: "refresh_token" });
    await oidc.tokenRevocation(config, tokens.accessToken, { token_type_hint: "access_token" });
    return "revoked";
  } catch (err) {
    upstreamFailure(err, "revocation", originOf(issuer));
    return "failed";
  }
}
