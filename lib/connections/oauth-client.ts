// The OAuth client of one workspace provider (SPEC §12), built with openid-client: discovery for OIDC templates,
// the template's (or the operator's) fixed endpoints otherwise, the client secret opened only here, and every
// request through lib/outbound's rules (https, no private addresses after DNS, 5 s, 1 MiB).
import "server-only";
import { createHash } from "node:crypto";
import * as oidc from "openid-client";
import { getConfig } from "../config";
import { DecryptError } from "../crypto/secret-box";
import { db } from "../db/client";
import { AppError } from "../errors";
import { log } from "../log";
import { isOutboundError, isOutboundException, outboundFetchAsFetch } from "../outbound";
import { CATALOG, type ProviderTemplate, type TemplateName } from "./catalog";
import { providerClientSecret } from "./providers";

export const CONNECT_CALLBACK_PATH = "/settings/connections/callback";

/** The redirect URI of a provider connect (the one the operator registers at every provider). */
export function connectRedirectUri(): string {
  return new URL(CONNECT_CALLBACK_PATH, getConfig().publicUrl).href;
}

// An MCP login's redirect URI is its authorization server's own (the mix-up defence of RFC 9700 §4.4.2): Gatehouse is
// the same public client at every authorization server (one Client ID Metadata Document per issuer, or a dynamic
// registration), and iss (RFC 9207) is only checked where the server advertises it. A code that an authorization
// server other than the flow's sent back arrives on that other server's path, and the callback refuses it before
// anything is exchanged: it never reaches the flow's token endpoint with the flow's PKCE verifier.
export const MCP_CALLBACK_PREFIX = `${CONNECT_CALLBACK_PATH}/mcp/`;

/** base64url of the first 16 bytes of a SHA-256: 22 characters, the last one carrying 2 bits (canonical only). */
const MCP_REDIRECT_DIGEST = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** The short stable name of an MCP authorization server (its issuer) in Gatehouse's URLs. */
export function mcpRedirectDigest(issuer: string): string {
  return createHash("sha256").update(`gatehouse/mcp-redirect/v1\0${issuer}`).digest().subarray(0, 16).toString("base64url");
}

export function isMcpRedirectDigest(value: unknown): value is string {
  return typeof value === "string" && MCP_REDIRECT_DIGEST.test(value);
}

/** The redirect URI of an MCP login at the authorization server of this digest (see mcpRedirectDigest). */
export function mcpRedirectUriForDigest(digest: string): string {
  if (!isMcpRedirectDigest(digest)) throw new Error("not an MCP redirect digest");
  return new URL(`${MCP_CALLBACK_PREFIX}${digest}`, getConfig().publicUrl).href;
}

/** The redirect URI of every MCP login at this authorization server, and of nothing else. */
export function mcpRedirectUri(issuer: string): string {
  return mcpRedirectUriForDigest(mcpRedirectDigest(issuer));
}

export type ProviderClient = {
  providerId: string;
  templateName: TemplateName;
  template: ProviderTemplate;
  /** OpenID Connect: an id_token (nonce, iss, aud) is expected and names the account. */
  oidc: boolean;
  config: oidc.Configuration;
  scopes: string[];
  userinfoUrl: string | null;
  revocationUrl: string | null;
};

// Discovery documents change rarely; a short in-process memory saves a round trip per connect or refresh. Only
// metadata is kept, never a token, and a failed discovery is never remembered.
const DISCOVERY_TTL_MS = 5 * 60_000;
const discovered = new Map<string, { at: number; metadata: oidc.ServerMetadata }>();

function insecureAllowed(urls: (string | null | undefined)[]): boolean {
  return urls.every((u) => {
    if (!u) return true;
    const url = new URL(u);
    return url.protocol === "https:" || isOutboundException(url);
  });
}

/** How Gatehouse authenticates at a token endpoint: no secret is a public client, else Basic or post as registered. */
export function clientAuthentication(method: string, secret: string | null): oidc.ClientAuth {
  if (secret === null) return oidc.None();
  return method === "client_secret_post" ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret);
}

function withOutbound(config: oidc.Configuration, urls: (string | null | undefined)[]): oidc.Configuration {
  config[oidc.customFetch] = outboundFetchAsFetch as unknown as oidc.CustomFetch;
  // http only ever reaches here for a GATEHOUSE_OUTBOUND_ALLOW host:port (a local test provider).
  if (urls.some((u) => u && new URL(u).protocol === "http:")) {
    if (!insecureAllowed(urls)) throw new AppError("unavailable", "This provider's configuration is not usable.");
    oidc.allowInsecureRequests(config);
  }
  return config;
}

async function discover(issuer: string): Promise<oidc.ServerMetadata> {
  const hit = discovered.get(issuer);
  if (hit && Date.now() - hit.at < DISCOVERY_TTL_MS) return hit.metadata;
  const config = await oidc.discovery(new URL(issuer), "discovery", undefined, oidc.None(), {
    [oidc.customFetch]: outboundFetchAsFetch as unknown as oidc.CustomFetch,
    execute: new URL(issuer).protocol === "http:" && isOutboundException(new URL(issuer)) ? [oidc.allowInsecureRequests] : [],
    timeout: 5,
  });
  const metadata = config.serverMetadata();
  discovered.set(issuer, { at: Date.now(), metadata });
  return metadata;
}

/** Tests: forget discovery results (a provider restarted on another port). */
export function forgetDiscovery() {
  discovered.clear();
}

/**
 * The client for (workspace, provider). not_found when the workspace has no such provider; unavailable (503) when
 * the provider cannot be reached or its stored secret does not open (never a half-configured client).
 */
export async function providerClient({ workspaceId, providerId }: { workspaceId: string; providerId: string }): Promise<ProviderClient> {
  const row = await db.provider.findUnique({
    where: { workspaceId_id: { workspaceId, id: providerId } },
    select: { id: true, template: true, clientId: true, scopes: true, issuer: true, authorizationUrl: true, tokenUrl: true, userinfoUrl: true, revocationUrl: true },
  });
  if (!row || !(row.template in CATALOG)) throw new AppError("not_found", "This workspace has no provider with that id.");
  const templateName = row.template as TemplateName;
  const template = CATALOG[templateName];
  let secret: string | null;
  try {
    secret = await providerClientSecret({ workspaceId, providerId });
  } catch (err) {
    if (err instanceof DecryptError) {
      log.error({ providerId, reason: err.reason }, "a provider's client secret could not be decrypted");
      throw new AppError("unavailable", "This provider's configuration cannot be used right now.");
    }
    throw err;
  }
  const auth = clientAuthentication(template.tokenEndpointAuth, secret);
  const scopes = row.scopes ? row.scopes.split(" ") : [];

  try {
    if (template.kind === "oidc" || template.kind === "generic-oidc") {
      const issuer = template.kind === "oidc" ? template.issuer : row.issuer!;
      const metadata = await discover(issuer);
      const config = withOutbound(new oidc.Configuration(metadata, row.clientId, undefined, auth), [
        metadata.issuer,
        metadata.token_endpoint,
        metadata.userinfo_endpoint,
        metadata.revocation_endpoint,
      ]);
      const revocationUrl = template.kind === "oidc" ? (template.revocation.url ?? null) : (metadata.revocation_endpoint ?? null);
      return { providerId, templateName, template, oidc: true, config, scopes, userinfoUrl: metadata.userinfo_endpoint ?? null, revocationUrl };
    }
    const endpoints =
      template.kind === "oauth2"
        ? { authorization: template.authorizationUrl, token: template.tokenUrl, userinfo: template.userinfoUrl, revocation: template.revocation.url }
        : { authorization: row.authorizationUrl!, token: row.tokenUrl!, userinfo: row.userinfoUrl, revocation: row.revocationUrl };
    const metadata: oidc.ServerMetadata = {
      // Plain OAuth 2 has no issuer; the authorization server's origin stands in (an `iss` in a callback must match it).
      issuer: new URL(endpoints.authorization).origin,
      authorization_endpoint: endpoints.authorization,
      token_endpoint: endpoints.token,
      ...(endpoints.userinfo ? { userinfo_endpoint: endpoints.userinfo } : {}),
      ...(endpoints.revocation ? { revocation_endpoint: endpoints.revocation } : {}),
    };
    const config = withOutbound(new oidc.Configuration(metadata, row.clientId, undefined, auth), [
      endpoints.authorization,
      endpoints.token,
      endpoints.userinfo,
      endpoints.revocation,
    ]);
    return { providerId, templateName, template, oidc: false, config, scopes, userinfoUrl: endpoints.userinfo ?? null, revocationUrl: endpoints.revocation ?? null };
  } catch (err) {
    throw upstreamUnavailable(err, providerId);
  }
}

/** Any failure to reach or understand the provider: a 503 that names nothing the provider sent. */
export function upstreamUnavailable(err: unknown, providerId: string): AppError {
  if (err instanceof AppError && !isOutboundError(err)) return err;
  log.warn({ providerId, kind: isOutboundError(err) ? err.kind : (err as { code?: string })?.code ?? "error" }, "the provider could not be reached");
  return new AppError("unavailable", "The provider could not be reached. Try again in a minute.");
}
