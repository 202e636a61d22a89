// The workspace's OAuth/OIDC providers (SPEC §12), configured by the operator. The client secret is write-only:
// sealed on the way in, bound to (workspace, provider id), opened only by providerClientSecret for the connect flow.
import "server-only";
import { isIP } from "node:net";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { open, seal, type ProviderSecretOwner } from "../crypto/secret-box";
import { db } from "../db/client";
import { AppError } from "../errors";
import { canonicalMcpServerUrl, PROVIDER_ID_PATTERN } from "../links/purpose";
import { isForbiddenAddress, isOutboundException } from "../outbound";
import { workspaceExists } from "../workspaces/workspace";
import { CATALOG, endpointRules, isTemplateName, TEMPLATE_NAMES, type EndpointOption, type TemplateName } from "./catalog";

export const MAX_CLIENT_SECRET_BYTES = 4096;
const MAX_CLIENT_ID_LENGTH = 512;
const MAX_URL_LENGTH = 2048;
const MAX_SCOPES = 50;
const MAX_SCOPE_LENGTH = 256;
// RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export type ProviderSummary = {
  id: string;
  template: TemplateName;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string[];
  issuer: string | null;
  authorizationUrl: string | null;
  tokenUrl: string | null;
  userinfoUrl: string | null;
  revocationUrl: string | null;
  /** The MCP server this client was pre-registered for; null: never used for MCP. */
  mcpServer: string | null;
  createdAt: Date;
};

export type AddProviderInput = {
  workspaceId: string;
  id: unknown;
  template: unknown;
  clientId: unknown;
  clientSecret?: unknown;
  scopes?: unknown;
  issuer?: unknown;
  authUrl?: unknown;
  tokenUrl?: unknown;
  userinfoUrl?: unknown;
  revocationUrl?: unknown;
  mcpServer?: unknown;
  actor: AuditActor;
};

const OPTION_NAMES: Record<EndpointOption, string> = {
  issuer: "issuer",
  authUrl: "authorization URL",
  tokenUrl: "token URL",
  userinfoUrl: "userinfo URL",
  revocationUrl: "revocation URL",
};

function invalid(message: string): never {
  throw new AppError("validation_failed", message);
}

function secretOwner(workspaceId: string, providerId: string): ProviderSecretOwner {
  return { kind: "provider-client-secret", workspaceId, providerId };
}

export function assertProviderId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !PROVIDER_ID_PATTERN.test(id)) {
    invalid("A provider id starts with a lowercase letter and has at most 32 lowercase letters, digits or '-'.");
  }
}

/**
 * https only, to a host Gatehouse would connect to (no private, loopback or metadata literal); http only for a
 * host:port listed in GATEHOUSE_OUTBOUND_ALLOW (a local test provider, never in production). No credentials, no
 * fragment, and what is stored is exactly what was checked. Token and revocation URLs take no query: an operator's
 * pasted `?client_secret=` would land in the audit log and every listing.
 */
function endpointUrl(value: unknown, what: string, { issuer = false, noQuery = false } = {}): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_URL_LENGTH) invalid(`The ${what} must be a URL of at most ${MAX_URL_LENGTH} characters.`);
  // The URL parser strips whitespace and reads "\" as "/": refuse what it would silently rewrite.
  if (/[\s\\\0-\x1f\x7f]/.test(value)) invalid(`The ${what} must not contain spaces, control characters or backslashes.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    invalid(`The ${what} is not a valid URL.`);
  }
  const allowed = isOutboundException(url);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && allowed)) invalid(`The ${what} must use https.`);
  const literal = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (!allowed && isIP(literal) && isForbiddenAddress(literal)) invalid(`The ${what} must not point at a private, loopback, link-local or metadata address.`);
  if (url.username || url.password) invalid(`The ${what} must not contain credentials.`);
  if (url.hash || value.includes("#")) invalid(`The ${what} must not have a fragment.`);
  // OIDC Core §2 / RFC 8414 §2: an issuer has no query or fragment, and its discovery URL is derived from it.
  if ((issuer || noQuery) && (url.search || value.includes("?"))) invalid(`The ${what} must not have a query.`);
  if (issuer && value !== url.href && `${value}/` !== url.href) invalid(`The ${what} must be written in its canonical form (${url.href.slice(0, 200)}).`);
  return issuer ? value : url.href;
}

function parseScopes(value: unknown, template: TemplateName): string[] {
  if (value === undefined) return [...CATALOG[template].defaultScopes];
  if (typeof value !== "string") invalid("Scopes must be a space- or comma-separated list.");
  const scopes = [...new Set(value.split(/[\s,]+/).filter(Boolean))];
  if (scopes.length > MAX_SCOPES) invalid(`At most ${MAX_SCOPES} scopes.`);
  for (const s of scopes) {
    if (s.length > MAX_SCOPE_LENGTH || !SCOPE_TOKEN.test(s)) invalid(`"${s.slice(0, 64)}" is not a valid scope (RFC 6749 §3.3).`);
  }
  return scopes;
}

function parseClientSecret(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0) invalid("The client secret must be a non-empty string.");
  if (Buffer.byteLength(value, "utf8") > MAX_CLIENT_SECRET_BYTES) invalid(`The client secret must be at most ${MAX_CLIENT_SECRET_BYTES} bytes.`);
  if (!value.isWellFormed() || /[\0-\x1f\x7f]/.test(value)) invalid("The client secret must be text without control characters.");
  return value;
}

/**
 * The MCP server a generic template's client was pre-registered for (SPEC §12), exactly as checked. Only the operator
 * names it: a provider is never picked for an MCP server because its issuer happens to match, which any server can
 * claim. The named templates are first-party clients of their provider (Google, Slack, …), never an MCP server's.
 */
function parseMcpServer(value: unknown, template: TemplateName): string | null {
  if (value === undefined || value === null || value === "") return null;
  const kind = CATALOG[template].kind;
  if (kind !== "generic-oidc" && kind !== "generic-oauth2") {
    invalid(`The ${template} template cannot be pre-registered for an MCP server; use generic-oidc (--issuer) or generic-oauth2 with that server's authorization server.`);
  }
  const what = "MCP server URL";
  if (typeof value !== "string" || value.includes("#")) invalid(`The ${what} must be an https URL without a user name, password or fragment.`);
  const canonical = canonicalMcpServerUrl(value);
  if (canonical === null) invalid(`The ${what} must be an https URL without a user name, password or fragment.`);
  if (canonical !== value) invalid(`The ${what} must be written in its canonical form (${canonical.slice(0, 200)}).`);
  return canonical;
}

export async function addProvider(input: AddProviderInput): Promise<{ providerId: string }> {
  const { workspaceId, id, template, actor } = input;
  assertProviderId(id);
  if (!isTemplateName(template)) invalid(`Unknown template; use one of ${TEMPLATE_NAMES.join(", ")}.`);
  const clientId = input.clientId;
  if (typeof clientId !== "string" || clientId.length === 0 || clientId.length > MAX_CLIENT_ID_LENGTH || /[\0-\x20\x7f]/.test(clientId)) {
    invalid(`The client id must be 1..${MAX_CLIENT_ID_LENGTH} printable characters without spaces.`);
  }
  const rules = endpointRules(template);
  const endpoints: Partial<Record<EndpointOption, string>> = {};
  for (const option of Object.keys(OPTION_NAMES) as EndpointOption[]) {
    const value = input[option];
    const given = value !== undefined && value !== null && value !== "";
    if (!given) {
      if (rules.required.includes(option)) invalid(`The ${template} template needs the ${OPTION_NAMES[option]}.`);
      continue;
    }
    if (!rules.required.includes(option) && !rules.optional.includes(option)) {
      invalid(`The ${template} template takes no ${OPTION_NAMES[option]}${CATALOG[template].kind === "generic-oidc" ? " (it comes from the issuer's discovery document)" : " (the template fixes its endpoints)"}.`);
    }
    endpoints[option] = endpointUrl(value, OPTION_NAMES[option], { issuer: option === "issuer", noQuery: option === "tokenUrl" || option === "revocationUrl" });
  }
  const scopes = parseScopes(input.scopes, template);
  // Without openid there is no id_token, so no nonce or iss check and no account to name: refuse rather than degrade.
  if ((CATALOG[template].kind === "oidc" || CATALOG[template].kind === "generic-oidc") && !scopes.includes("openid")) {
    invalid(`The ${template} template signs in with OpenID Connect: its scopes must include openid.`);
  }
  const mcpServer = parseMcpServer(input.mcpServer, template);
  const clientSecret = parseClientSecret(input.clientSecret);
  const sealed = clientSecret === null ? null : seal(getConfig().masterKeys, secretOwner(workspaceId, id), clientSecret);

  try {
    await db.$transaction(async (tx) => {
      if (!(await workspaceExists(tx, workspaceId))) throw new AppError("not_found", "No such workspace.");
      await tx.provider.create({
        data: {
          workspaceId,
          id,
          template,
          clientId,
          clientSecret: sealed?.box ?? null,
          clientSecretKeyId: sealed?.keyId ?? null,
          scopes: scopes.join(" "),
          issuer: endpoints.issuer ?? null,
          authorizationUrl: endpoints.authUrl ?? null,
          tokenUrl: endpoints.tokenUrl ?? null,
          userinfoUrl: endpoints.userinfoUrl ?? null,
          revocationUrl: endpoints.revocationUrl ?? null,
          mcpServer,
        },
        select: { id: true },
      });
      await appendAuditEvent(
        {
          workspaceId,
          actor,
          action: "provider.added",
          target: `provider:${id}`,
          data: { id, template, clientId, hasClientSecret: sealed !== null, scopes, ...endpoints, mcpServer },
        },
        tx,
      );
    });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") {
      if (mcpServer !== null && (await mcpServerTaken(workspaceId, id, mcpServer))) {
        throw new AppError("conflict", "This workspace already has a provider pre-registered for this MCP server; remove it first.");
      }
      throw new AppError("conflict", `This workspace already has a provider "${id}"; remove it first.`);
    }
    throw err;
  }
  return { providerId: id };
}

/** Which unique key a conflict hit: another provider (not one of this id) already holds the MCP server. */
async function mcpServerTaken(workspaceId: string, id: string, mcpServer: string): Promise<boolean> {
  const row = await db.provider.findFirst({ where: { workspaceId, mcpServer, NOT: { id } }, select: { id: true } });
  return row !== null;
}

export async function listProviders({ workspaceId }: { workspaceId: string }): Promise<ProviderSummary[]> {
  if (!(await workspaceExists(db, workspaceId))) throw new AppError("not_found", "No such workspace.");
  const rows = await db.provider.findMany({
    where: { workspaceId },
    orderBy: { id: "asc" },
    // Explicit: the ciphertext is never selected here, only whether there is one.
    select: {
      id: true,
      template: true,
      clientId: true,
      clientSecretKeyId: true,
      scopes: true,
      issuer: true,
      authorizationUrl: true,
      tokenUrl: true,
      userinfoUrl: true,
      revocationUrl: true,
      mcpServer: true,
      createdAt: true,
    },
  });
  return rows.map(({ clientSecretKeyId, scopes, template, ...row }) => ({
    ...row,
    template: template as TemplateName,
    hasClientSecret: clientSecretKeyId !== null,
    scopes: scopes ? scopes.split(" ") : [],
  }));
}

export async function removeProvider({ workspaceId, id, actor }: { workspaceId: string; id: unknown; actor: AuditActor }): Promise<{ removed: true }> {
  assertProviderId(id);
  await db.$transaction(async (tx) => {
    const { count } = await tx.provider.deleteMany({ where: { workspaceId, id } });
    if (count === 0) throw new AppError("not_found", "This workspace has no provider with that id.");
    await appendAuditEvent({ workspaceId, actor, action: "provider.removed", target: `provider:${id}`, data: { id } }, tx);
  });
  return { removed: true };
}

/** For the connect flow only (never shown): the provider's client secret, or null when it has none. */
export async function providerClientSecret({ workspaceId, providerId }: { workspaceId: string; providerId: string }): Promise<string | null> {
  const row = await db.provider.findUnique({
    where: { workspaceId_id: { workspaceId, id: providerId } },
    select: { clientSecret: true },
  });
  if (!row) throw new AppError("not_found", "This workspace has no provider with that id.");
  return row.clientSecret === null ? null : open(getConfig().masterKeys, secretOwner(workspaceId, providerId), row.clientSecret);
}

/** Whether the workspace has configured this provider (SPEC §12). Never another workspace's. */
export async function providerExists({ workspaceId, providerId }: { workspaceId: string; providerId: string }): Promise<boolean> {
  if (!PROVIDER_ID_PATTERN.test(providerId)) return false;
  const row = await db.provider.findUnique({ where: { workspaceId_id: { workspaceId, id: providerId } }, select: { id: true } });
  return row !== null;
}

export { secretOwner as providerSecretOwner };
