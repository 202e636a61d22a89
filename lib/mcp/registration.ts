// Gatehouse's client at an MCP server's authorization server, in the MCP spec's order: a client pre-registered by
// the operator (a workspace provider added with --mcp-server for exactly this server, at this authorization server),
// a Client ID Metadata Document Gatehouse serves itself (one per issuer), or an RFC 7591 dynamic registration. Whatever
// a login registered is kept per (issuer, redirect URI) in mcp_clients, so the callback and every later refresh
// present the same client the tokens were issued to, and no issuer is registered at twice.
//
// The redirect URI of a metadata document or a registration is the issuer's own MCP callback (mcpRedirectUri): where
// the authorization server does not advertise RFC 9207 iss, Gatehouse is a public client and could not tell which
// server sent a code, that distinct path is what stops a mix-up (the callback refuses a response on another path).
// Rows registered before with the shared callback URI no longer match and a new registration is made; connections
// whose tokens were issued to such a client need a reconnect. A pre-registered provider keeps the connect callback
// the operator registered there: only flows at operator-chosen servers wait on that path, and a code arriving on it
// is refused for every other MCP flow (each waits on its own issuer's path).
import "server-only";
import { registerClient } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { getConfig } from "../config";
import { CATALOG, type TemplateName } from "../connections/catalog";
import { connectRedirectUri, isMcpRedirectDigest, mcpRedirectDigest, mcpRedirectUri, mcpRedirectUriForDigest } from "../connections/oauth-client";
import { providerClientSecret } from "../connections/providers";
import { DecryptError, open, seal, type McpClientSecretOwner } from "../crypto/secret-box";
import { db } from "../db/client";
import { AppError } from "../errors";
import { log } from "../log";
import { mcpFetch, type AuthorizationServerMetadata } from "./discovery";
import { originOf, refused, upstreamFailure } from "./upstream";

/** Gatehouse's Client ID Metadata Documents: `<prefix><issuer digest>.json`, one per authorization server. */
export const CLIENT_METADATA_PREFIX = "/oauth/client-metadata/";

export type TokenEndpointAuthMethod = "none" | "client_secret_basic" | "client_secret_post";

/** The client a token request presents; the secret stays in memory for that request only. */
export type McpClient = {
  source: "provider" | "metadata_document" | "dynamic";
  clientId: string;
  clientSecret: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** The provider's id when source is "provider". */
  providerId?: string;
  /** The redirect URI this client is registered with: the issuer's MCP callback, or a provider's connect callback. */
  redirectUri: string;
};

export type RegistrationChoice =
  | { kind: "provider"; providerId: string }
  | { kind: "stored" }
  | { kind: "metadata_document"; clientId: string }
  | { kind: "dynamic"; registrationEndpoint: string }
  | { kind: "none" };

const metadataDocumentUrl = (digest: string, publicUrl: string) => new URL(`${CLIENT_METADATA_PREFIX}${digest}.json`, publicUrl);

/**
 * The URL of the Client ID Metadata Document Gatehouse presents to this issuer (its own client_id there), or null when
 * the public URL is not https.
 */
export function clientMetadataUrl(issuer: string, publicUrl: string = getConfig().publicUrl): string | null {
  const url = metadataDocumentUrl(mcpRedirectDigest(issuer), publicUrl);
  return url.protocol === "https:" ? url.href : null;
}

/** The issuer digest a document's file name (`<digest>.json`) names, or null for anything else. */
export function clientMetadataDigest(file: string): string | null {
  const digest = file.endsWith(".json") ? file.slice(0, -".json".length) : null;
  return isMcpRedirectDigest(digest) ? digest : null;
}

/**
 * The document for one issuer digest: a public client whose only redirect URI is that issuer's MCP callback, so a
 * code issued to this client_id (by whichever server) can only land where a flow at that issuer waits.
 */
export function clientMetadataDocument(digest: string) {
  return {
    client_id: metadataDocumentUrl(digest, getConfig().publicUrl).href,
    client_name: "Gatehouse",
    redirect_uris: [mcpRedirectUriForDigest(digest)],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
}

/**
 * The spec's order as a pure decision. A stored registration comes before a new Client ID Metadata Document
 * so an issuer whose tokens were issued to a registered client keeps presenting that client.
 */
export function chooseRegistration({
  providerId,
  stored,
  issuer,
  metadata,
  publicUrl,
}: {
  providerId: string | null;
  stored: boolean;
  issuer: string;
  metadata: Pick<AuthorizationServerMetadata, "client_id_metadata_document_supported" | "registration_endpoint" | "authorization_response_iss_parameter_supported">;
  publicUrl: string;
}): RegistrationChoice {
  if (providerId) return { kind: "provider", providerId };
  if (stored) return { kind: "stored" };
  const cimd = clientMetadataUrl(issuer, publicUrl);
  // A metadata document is a public client any server can name as its client_id (fetching Gatehouse's own genuine
  // document), so a malicious authorization server could bounce the browser to an honest one under another issuer's
  // document and have that code land on its own callback path. Only `iss` (RFC 9207) tells those responses apart:
  // without it, a dynamic registration (a client of this issuer alone) is used instead.
  if (metadata.client_id_metadata_document_supported === true && metadata.authorization_response_iss_parameter_supported === true && cimd) {
    return { kind: "metadata_document", clientId: cimd };
  }
  if (metadata.registration_endpoint) return { kind: "dynamic", registrationEndpoint: metadata.registration_endpoint };
  return { kind: "none" };
}

function sameUrl(a: string | null, b: string | undefined): boolean {
  return a !== null && b !== undefined && URL.canParse(a) && URL.canParse(b) && new URL(a).href === new URL(b).href;
}

/**
 * The client the operator pre-registered for this MCP server, and only if it is at this authorization server: a
 * generic-oidc provider of this issuer, or a generic-oauth2 one whose endpoints are these. Never a provider because
 * its issuer matches (any MCP server may name Google or the company's SSO as its authorization server, and would get
 * the operator's first-party client and its consent), and never this client's secret sent to another token endpoint.
 */
async function providerFor(workspaceId: string, serverUrl: string, issuer: string, metadata: AuthorizationServerMetadata) {
  if (!URL.canParse(serverUrl)) return null;
  const row = await db.provider.findFirst({
    // The partial unique index (workspace_id, mcp_server) makes this one row at most.
    where: { workspaceId, mcpServer: new URL(serverUrl).href, template: { in: ["generic-oidc", "generic-oauth2"] } },
    select: { id: true, template: true, clientId: true, issuer: true, authorizationUrl: true, tokenUrl: true },
  });
  if (!row) return null;
  const here =
    row.template === "generic-oidc"
      ? row.issuer === issuer
      : sameUrl(row.tokenUrl, metadata.token_endpoint) && sameUrl(row.authorizationUrl, metadata.authorization_endpoint);
  if (!here) {
    log.warn({ providerId: row.id, issuer: originOf(issuer) }, "the provider pre-registered for this MCP server is not at its authorization server; not used");
    return null;
  }
  return row;
}

async function providerClient(workspaceId: string, row: { id: string; template: string; clientId: string }): Promise<McpClient> {
  let secret: string | null;
  try {
    secret = await providerClientSecret({ workspaceId, providerId: row.id });
  } catch (err) {
    if (err instanceof DecryptError) {
      log.error({ providerId: row.id, reason: err.reason }, "a provider's client secret could not be decrypted");
      throw new AppError("unavailable", "This workspace's provider for the MCP server cannot be used right now.");
    }
    throw err;
  }
  const template = CATALOG[row.template as TemplateName];
  return {
    source: "provider",
    providerId: row.id,
    clientId: row.clientId,
    clientSecret: secret,
    tokenEndpointAuthMethod: secret === null ? "none" : (template?.tokenEndpointAuth ?? "client_secret_basic"),
    redirectUri: connectRedirectUri(),
  };
}

const secretOwner = (issuer: string, redirectUri: string): McpClientSecretOwner => ({ kind: "mcp-client-secret", issuer, redirectUri });

async function storedClient(issuer: string, redirectUri: string): Promise<McpClient | null> {
  const row = await db.mcpClient.findUnique({ where: { issuer_redirectUri: { issuer, redirectUri } }, omit: { clientSecret: false } });
  if (!row) return null;
  let clientSecret: string | null = null;
  if (row.clientSecret) {
    try {
      clientSecret = open(getConfig().masterKeys, secretOwner(issuer, redirectUri), row.clientSecret);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      log.error({ issuer: originOf(issuer), reason: err.reason }, "an MCP client registration's secret could not be decrypted");
      throw new AppError("unavailable", "Gatehouse's registration at this MCP server's authorization server cannot be used right now.");
    }
  }
  return {
    source: row.method === "metadata_document" ? "metadata_document" : "dynamic",
    clientId: row.clientId,
    clientSecret,
    tokenEndpointAuthMethod: toAuthMethod(row.tokenEndpointAuthMethod, clientSecret),
    redirectUri,
  };
}

function toAuthMethod(value: unknown, secret: string | null): TokenEndpointAuthMethod {
  if (secret === null) return "none";
  return value === "client_secret_post" ? "client_secret_post" : "client_secret_basic";
}

/** Keeps the first registration for (issuer, redirect URI): a concurrent first login's row wins, ours is dropped. */
async function keep(issuer: string, redirectUri: string, method: "metadata_document" | "dynamic", client: Omit<McpClient, "source" | "redirectUri">): Promise<McpClient> {
  const sealed = client.clientSecret === null ? null : seal(getConfig().masterKeys, secretOwner(issuer, redirectUri), client.clientSecret);
  await db.mcpClient.createMany({
    data: [
      {
        issuer,
        redirectUri,
        method,
        clientId: client.clientId,
        clientSecret: sealed?.box ?? null,
        clientSecretKeyId: sealed?.keyId ?? null,
        tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
      },
    ],
    skipDuplicates: true,
  });
  const kept = await storedClient(issuer, redirectUri);
  if (!kept) throw new AppError("unavailable");
  return kept;
}

function requestedAuthMethod(metadata: AuthorizationServerMetadata): TokenEndpointAuthMethod {
  // RFC 8414 §2: an absent list means client_secret_basic. A confidential client is asked for when possible, so a
  // leaked refresh token alone is not enough at the token endpoint.
  const supported = metadata.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  if (supported.includes("client_secret_basic")) return "client_secret_basic";
  if (supported.includes("client_secret_post")) return "client_secret_post";
  return "none";
}

const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * The scope to register (RFC 7591 §2), only when the authorization server lists every value of it: the MCP scope
 * is often the resource server's, which an authorization server may refuse in a registration (oidc-provider does).
 */
function registrationScope(metadata: AuthorizationServerMetadata, scope: string | undefined): string | undefined {
  if (!scope) return undefined;
  const supported = metadata.scopes_supported;
  return supported && scope.split(" ").every((s) => supported.includes(s)) ? scope : undefined;
}

async function register(issuer: string, redirectUri: string, metadata: AuthorizationServerMetadata, scope: string | undefined): Promise<McpClient> {
  const asked = requestedAuthMethod(metadata);
  let info: OAuthClientInformationFull;
  try {
    info = await registerClient(issuer, {
      metadata,
      clientMetadata: {
        client_name: "Gatehouse",
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: asked,
      },
      scope: registrationScope(metadata, scope),
      fetchFn: mcpFetch,
    });
  } catch (err) {
    throw upstreamFailure(err, "registration", originOf(issuer));
  }
  const clientId = info.client_id;
  const secret = typeof info.client_secret === "string" && info.client_secret.length > 0 ? info.client_secret : null;
  if (!PRINTABLE.test(clientId) || clientId.length > 512 || (secret !== null && (!PRINTABLE.test(secret) || secret.length > 4096))) {
    throw upstreamFailure(new Error("registration response out of bounds"), "registration", originOf(issuer));
  }
  // The registration must be for Gatehouse's callback and nothing else.
  if (info.redirect_uris && (info.redirect_uris.length !== 1 || info.redirect_uris[0] !== redirectUri)) throw refused("registration_refused");
  const granted = info.token_endpoint_auth_method ?? asked;
  const method: TokenEndpointAuthMethod = secret === null ? "none" : granted === "client_secret_post" ? "client_secret_post" : "client_secret_basic";
  if (secret === null && granted !== "none") throw refused("registration_refused");
  return keep(issuer, redirectUri, "dynamic", { clientId, clientSecret: secret, tokenEndpointAuthMethod: method });
}

/**
 * The client for this MCP server at this issuer. `serverUrl`: the server's URL or its RFC 9728 `resource` (discovery
 * made them the same URL). `register`: a login may create one (metadata document or dynamic registration); a
 * callback or a refresh only finds the one its login used.
 */
export async function resolveMcpClient({
  workspaceId,
  serverUrl,
  issuer,
  metadata,
  scope,
  register: mayRegister,
}: {
  workspaceId: string;
  serverUrl: string;
  issuer: string;
  metadata: AuthorizationServerMetadata;
  scope?: string;
  register: boolean;
}): Promise<McpClient> {
  const redirectUri = mcpRedirectUri(issuer);
  const provider = await providerFor(workspaceId, serverUrl, issuer, metadata);
  const stored = provider ? null : await storedClient(issuer, redirectUri);
  const choice = chooseRegistration({ providerId: provider?.id ?? null, stored: stored !== null, issuer, metadata, publicUrl: getConfig().publicUrl });
  switch (choice.kind) {
    case "provider":
      return providerClient(workspaceId, provider!);
    case "stored":
      return stored!;
    case "metadata_document":
      if (!mayRegister) break;
      return keep(issuer, redirectUri, "metadata_document", { clientId: choice.clientId, clientSecret: null, tokenEndpointAuthMethod: "none" });
    case "dynamic":
      if (!mayRegister) break;
      return register(issuer, redirectUri, metadata, scope);
    case "none":
      break;
  }
  throw refused("no_client_registration");
}
