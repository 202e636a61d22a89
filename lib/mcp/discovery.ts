// How Gatehouse finds out where to log in to a remote MCP server (MCP authorization, revision 2025-11-25): the
// server's protected resource metadata (RFC 9728), then its authorization server's metadata (RFC 8414 / OpenID
// Connect discovery). The MCP SDK's helpers do the fetching; what they leave unchecked is checked here: the
// metadata's `resource` is exactly this server, the authorization server's `issuer` is exactly the URL it was
// discovered from, S256 is advertised (absent means no PKCE: refused), every endpoint is https.
import "server-only";
import { buildDiscoveryUrls, discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { OAuthMetadataSchema, type OAuthMetadata, type OAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/shared/auth.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { AppError } from "../errors";
import { canonicalMcpServerUrl } from "../links/purpose";
import { outboundFetch, outboundFetchAsFetch } from "../outbound";
import { originOf, refused, upstreamFailure, usableUrl } from "./upstream";

/** The SDK's fetch type; every request it makes goes through the outbound rules. */
export const mcpFetch = outboundFetchAsFetch as unknown as (url: string | URL, init?: RequestInit) => Promise<Response>;

/** RFC 8414 metadata as the authorization server sent it (unknown members kept: RFC 9207's flag among them). */
export type AuthorizationServerMetadata = OAuthMetadata & {
  authorization_response_iss_parameter_supported?: boolean;
};

export type McpServerDiscovery = {
  serverUrl: string;
  /** The RFC 8707 resource indicator, exactly as the metadata spells it (an exact-match AS compares strings). */
  resource: string;
  /** What to ask for: the 401's `scope`, else the metadata's scopes_supported, else nothing (MCP scope selection). */
  scope: string | undefined;
  issuer: string;
  metadata: AuthorizationServerMetadata;
};

/**
 * The canonical form of an MCP server URL: https without credentials, fragment or an empty "#". Plain http only for
 * a GATEHOUSE_OUTBOUND_ALLOW host:port (tests and development); a deployment refuses those in production.
 */
export function mcpServerUrl(value: unknown): string {
  if (typeof value !== "string" || value.includes("#")) throw new AppError("validation_failed", "The MCP server URL must be an https URL without a user name, password or fragment.");
  const https = canonicalMcpServerUrl(value);
  if (https) return https;
  const local = usableUrl(value);
  if (local && local.protocol === "http:") return local.href;
  throw new AppError("validation_failed", "The MCP server URL must be an https URL without a user name, password or fragment.");
}

/**
 * The unauthenticated request of the MCP spec's discovery: a JSON-RPC `initialize`, whose 401 names the metadata
 * (`resource_metadata`) and possibly the scope. Any other answer leaves discovery to the well-known paths.
 */
async function probe(serverUrl: string): Promise<{ resourceMetadataUrl?: URL; scope?: string }> {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: "Gatehouse", version: "1" } },
  });
  let res: Response;
  try {
    res = await mcpFetch(serverUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body,
      redirect: "manual",
    });
  } catch (err) {
    throw upstreamFailure(err, "probe", originOf(serverUrl));
  }
  if (res.status !== 401) return {};
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
  return { ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}), ...(scope ? { scope } : {}) };
}

function sameUrl(a: string, b: string): boolean {
  return URL.canParse(a) && URL.canParse(b) && new URL(a).href === new URL(b).href;
}

/** RFC 9728: from the 401's resource_metadata, else /.well-known/oauth-protected-resource/<path>, then the root. */
export async function discoverResource(serverUrl: string): Promise<{ resource: string; authorizationServer: string; scope: string | undefined }> {
  const hint = await probe(serverUrl);
  if (hint.resourceMetadataUrl && !usableUrl(hint.resourceMetadataUrl.href)) throw refused("no_resource_metadata");
  let prm: OAuthProtectedResourceMetadata;
  try {
    prm = await discoverOAuthProtectedResourceMetadata(serverUrl, { resourceMetadataUrl: hint.resourceMetadataUrl }, mcpFetch);
  } catch (err) {
    if (err instanceof Error && /does not implement OAuth 2\.0 Protected Resource Metadata/.test(err.message)) throw refused("no_resource_metadata");
    throw upstreamFailure(err, "resource_metadata", originOf(serverUrl));
  }
  // RFC 9728 §3.3: the resource is the one Gatehouse asked about, exactly (the SDK would accept a path prefix of it).
  if (typeof prm.resource !== "string" || prm.resource.includes("#") || !sameUrl(prm.resource, serverUrl)) throw refused("resource_mismatch");
  const first = prm.authorization_servers?.[0];
  if (!first) throw refused("no_authorization_server");
  if (!usableUrl(first, { noQuery: true })) throw refused("authorization_server_url");
  const scope = hint.scope ?? (prm.scopes_supported?.length ? prm.scopes_supported.join(" ") : undefined);
  return { resource: prm.resource, authorizationServer: first, scope };
}

// Metadata changes rarely; a short in-process memory spares a login's callback and every refresh the discovery
// round trips. Only checked metadata is kept, never a failure, never a token.
const METADATA_TTL_MS = 5 * 60_000;
const remembered = new Map<string, { at: number; metadata: AuthorizationServerMetadata }>();

/** Tests: forget what was discovered. */
export function forgetMcpDiscovery() {
  remembered.clear();
}

function checkMetadata(issuer: string, metadata: AuthorizationServerMetadata): AuthorizationServerMetadata {
  // RFC 8414 §3.3: identical to the issuer the well-known URL was built from, or it is someone else's document.
  if (metadata.issuer !== issuer) throw refused("issuer_mismatch");
  // The MCP spec: no code_challenge_methods_supported means no PKCE; the SDK only refuses a list without S256.
  if (!Array.isArray(metadata.code_challenge_methods_supported) || !metadata.code_challenge_methods_supported.includes("S256")) throw refused("pkce_unsupported");
  if (!metadata.response_types_supported.includes("code")) throw refused("code_flow_unsupported");
  const grants = metadata.grant_types_supported;
  if (grants && !grants.includes("authorization_code")) throw refused("code_flow_unsupported");
  for (const endpoint of [metadata.authorization_endpoint, metadata.token_endpoint, metadata.registration_endpoint, metadata.revocation_endpoint]) {
    if (endpoint !== undefined && !usableUrl(endpoint)) throw refused("insecure_endpoint");
  }
  if (!usableUrl(metadata.token_endpoint, { noQuery: true })) throw refused("insecure_endpoint");
  return metadata;
}

/**
 * The authorization server's metadata, tried in the MCP spec's order (the SDK's buildDiscoveryUrls: RFC 8414
 * path-aware, then OpenID Connect discovery both ways). Parsed with the SDK's loose RFC 8414 schema for both kinds of
 * document: its OpenID schema drops members it does not list, RFC 9207's iss flag and the revocation endpoint among
 * them, which would silently turn the iss check off for an OpenID-only server.
 */
export async function authorizationServerMetadata(issuer: string): Promise<AuthorizationServerMetadata> {
  const hit = remembered.get(issuer);
  if (hit && Date.now() - hit.at < METADATA_TTL_MS) return hit.metadata;
  if (!usableUrl(issuer, { noQuery: true })) throw refused("authorization_server_url");
  let found: AuthorizationServerMetadata | undefined;
  try {
    for (const { url } of buildDiscoveryUrls(issuer)) {
      const res = await outboundFetch(url, { headers: { "mcp-protocol-version": LATEST_PROTOCOL_VERSION }, redirect: "manual" });
      // A 4xx, or a redirect (not followed: a discovery document is served where it is looked for), means "not here".
      if (res.status >= 300 && res.status < 500) continue;
      if (res.status !== 200) throw new Error("authorization server metadata: unexpected status");
      found = OAuthMetadataSchema.parse(res.json()) as AuthorizationServerMetadata;
      break;
    }
  } catch (err) {
    throw upstreamFailure(err, "authorization_server", originOf(issuer));
  }
  if (!found) throw upstreamFailure(new Error("no authorization server metadata"), "authorization_server", originOf(issuer));
  const metadata = checkMetadata(issuer, found);
  remembered.set(issuer, { at: Date.now(), metadata });
  return metadata;
}

/** Everything a login needs to know about one MCP server. */
export async function discoverMcpServer(serverUrl: string): Promise<McpServerDiscovery> {
  const { resource, authorizationServer, scope } = await discoverResource(serverUrl);
  const metadata = await authorizationServerMetadata(authorizationServer);
  return { serverUrl, resource, scope, issuer: authorizationServer, metadata };
}
