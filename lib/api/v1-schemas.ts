// The /api/v1 bodies as zod schemas: the handlers parse requests with them, and the OpenAPI document
// (./openapi.ts) publishes them, so the two cannot drift apart.
import { z } from "zod";
import type { CheckpointView } from "../audit/checkpoint-list";
import type { ErrorCode } from "../errors";
import type { GatewayResult } from "../gateway/request-link";
import { GATEWAY_REASONS } from "../gateway/messages";
import type { Redeemed } from "../invites/redeem";
import type { Credential } from "../jobs/credentials-decide";
import { canonicalMcpServerUrl, MAX_MCP_SERVER_URL_LENGTH, PROVIDER_ID_PATTERN, SETTINGS_SECTIONS } from "../links/purpose";
import type { JobView } from "../jobs/lifecycle";
import { JOB_STATUSES } from "../jobs/status";

const id = z.string().min(1).max(128);

/** POST /api/v1/jobs. The platform id is checked further by parsePlatformIdentity, the grants by createJob. */
export const createJobRequest = z.strictObject({
  user: z.strictObject({
    platform: z.string().max(32).describe('"telegram" or "slack"'),
    id: z.string().max(64).describe('A Telegram user id, or "<team id>:<user id>" on Slack'),
  }),
  delivery: z
    .strictObject({ platform: z.enum(["telegram", "slack"]), chatId: id, threadId: id.optional() })
    .optional(),
  grants: z
    .array(
      z.union([
        z.strictObject({ secret: z.string().max(128).describe("The name of one of the user's secrets"), envVar: z.string().max(256) }),
        z.strictObject({ connection: z.string().max(64).describe("A provider id of this workspace: the user's connection to it"), envVar: z.string().max(256) }),
        z.strictObject({ mcp: z.string().max(MAX_MCP_SERVER_URL_LENGTH).describe("A remote MCP server's https URL: the user's connection to it"), envVar: z.string().max(256) }),
      ]),
    )
    .max(100)
    .optional()
    .describe(
      "At most 20 of all kinds (more is 422 invalid_grants); envVar must match ^[A-Z_][A-Z0-9_]{0,127}$, not be denylisted and be unique across all grants. A connection or mcp grant gives the job a currently valid access token.",
    ),
  ttlSeconds: z.number().int().min(60).max(86400).optional().describe("Defaults to JOB_TOKEN_TTL_SECONDS"),
});

const instant = z.iso.datetime();
const jobToken = z.string().regex(/^gh_job_[A-Za-z0-9_-]{43}$/);

export const createdJobResponse = z.strictObject({
  jobId: z.uuid(),
  token: jobToken.describe("The job token, shown only here; it expires with the job"),
  expiresAt: instant,
});

export const jobResponse = z.strictObject({
  jobId: z.uuid(),
  status: z.enum(JOB_STATUSES).describe("revoked: its owner ended it in the portal; completed: ended by this API; expired: its expiry passed first"),
  ownerUserId: z.uuid(),
  createdAt: instant,
  expiresAt: instant,
  endedAt: instant.nullable(),
  delivery: z.strictObject({ platform: z.string(), chatId: z.string(), threadId: z.string().nullable() }).nullable(),
  grants: z.array(
    z.union([
      z.strictObject({ secret: z.string(), envVar: z.string() }),
      z.strictObject({ connection: z.string(), envVar: z.string() }),
      z.strictObject({ mcp: z.string(), envVar: z.string() }),
    ]),
  ).describe("Every grant, by envVar; never a value or token"),
});

export const credentialsResponse = z.array(z.strictObject({ env_var: z.string(), value: z.string() })).min(1);

export const rotatedTokenResponse = z.strictObject({
  token: jobToken,
  expiresAt: instant.describe("The job's expiry: rotation never extends it"),
  previousTokenValidUntil: instant.describe("The old token works until then (TOKEN_ROTATION_GRACE_SECONDS)"),
});

export const checkpointsQuery = {
  after: z.number().int().min(0).max(2_147_483_647).describe("Only checkpoints with a greater seq (the previous page's nextAfter); default 0"),
  limit: z.number().int().min(1).max(1000).describe("Page size, 1..1000; default 100"),
};

export const checkpointsResponse = z.strictObject({
  checkpoints: z
    .array(
      z.strictObject({
        workspaceId: z.uuid(),
        seq: z.number().int().positive().describe("The signed event's seq"),
        hash: z.string().regex(/^[0-9a-f]{64}$/).describe("That event's hash"),
        signature: z.string().describe('base64 Ed25519 signature of the UTF-8 bytes of {"hash":"…","seq":N,"workspaceId":"…"} (keys sorted, no spaces)'),
        keyId: z.string().regex(/^[0-9a-f]{16}$/).describe("First 16 hex digits of SHA-256 of the raw public key (gatehouse audit public-key)"),
        createdAt: instant,
      }),
    )
    .describe("Oldest first"),
  nextAfter: z.number().int().positive().nullable().describe("Pass as ?after= for the next page; null on the last page"),
});

// ---- Invites (SPEC §13) ----

/** POST /api/v1/invites/redeem. The code's form is judged by redeemInvite (a malformed one is the same 410). */
export const redeemInviteRequest = z.strictObject({
  code: z.string().max(256).describe("An invite code of this workspace, gh_inv_<43 base64url characters>"),
  user: z.strictObject({
    platform: z.string().max(32).describe('"telegram" or "slack"'),
    id: z.string().max(64).describe('A Telegram user id, or "<team id>:<user id>" on Slack'),
    name: z.string().max(200).optional().describe("A display name for a user Gatehouse does not know yet"),
  }),
});

export const redeemedInviteResponse = z.strictObject({
  userId: z.uuid(),
  workspaceId: z.uuid(),
  role: z.enum(["member", "admin"]).describe("The role the invite gave"),
});

export const openApiDocumentResponse = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

// ---- Gateway (SPEC §7) ----

// The agent's words reach the owner's chat, where the client would turn any URL, domain or address into a link:
// they must be plain words.
// Letters of any script, any of the dots IDNA treats as one, a scheme, an address, and a bot command (tappable
// in Telegram, where it would send that command as the owner).
const LINK_LIKE = [
  /[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}_-]*[.\u3002\uFF0E\uFF61][\p{L}\p{M}]{2,63}(?![\p{L}\p{M}\p{N}])/u,
  /(?<![\p{N}.])\d{1,3}(?:[.\u3002\uFF0E\uFF61]\d{1,3}){3}(?!\p{N})/u,
  /[\p{L}][\p{L}\p{N}+.-]*:\/\//u,
  /\bwww[.\u3002\uFF0E\uFF61]/iu,
  /@/,
  /(?<![\p{L}\p{N}_/<>])\/[\p{L}\p{N}_]/u,
];
const gatewayReason = z
  .string()
  .max(200)
  .refine((s) => !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(s), "reason must be one line of plain text (no control or formatting characters)")
  .refine((s) => !LINK_LIKE.some((p) => p.test(s)), "reason must be plain words: no links, e-mail addresses, domain names or bot commands")
  .optional()
  .describe("Why the agent asks, ≤ 200 characters of plain words (no links or domain names); the owner reads it next to the button");

export const settingsLinkRequest = z.strictObject({
  section: z.enum([...SETTINGS_SECTIONS, "admin"]).optional().describe('The portal section to land on; "admin" delivers an admin console link, only for an owner or admin'),
  reason: gatewayReason,
});

export const integrationsConnectRequest = z.strictObject({
  provider: z.string().regex(PROVIDER_ID_PATTERN, "provider must be a provider id of this workspace").describe("A provider id configured in this workspace (SPEC §12)"),
  reason: gatewayReason,
});

export const mcpLoginRequest = z.strictObject({
  server: z
    .string()
    .max(MAX_MCP_SERVER_URL_LENGTH)
    .refine((s) => canonicalMcpServerUrl(s) !== null, "server must be an https URL without credentials or fragment")
    .describe("The https URL of a remote MCP server"),
  reason: gatewayReason,
});

const gatewayType = z.enum(["settings_link", "integration_connect", "mcp_login"]);
export const gatewayResponse = z.union([
  z.strictObject({ type: gatewayType, delivered: z.literal(true), platform: z.enum(["telegram", "slack"]), expiresAt: instant.describe("When the delivered link expires") }),
  z.strictObject({
    type: gatewayType,
    delivered: z.literal(false),
    reason: z.enum(GATEWAY_REASONS),
    message: z.string().describe("One sentence the agent may relay to the user"),
    retryAfterSeconds: z.number().int().positive().optional().describe("With rate_limited: when to ask again"),
  }),
]);

/** SPEC §10's one error shape; `codes` narrows `code` to what one response can carry. */
export function errorBody(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.strictObject({
    error: z.strictObject({ code: z.enum(codes), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
  });
}

export type CreatedJobResponse = z.output<typeof createdJobResponse>;
export type RotatedTokenResponse = z.output<typeof rotatedTokenResponse>;
export type RedeemedInviteResponse = z.output<typeof redeemedInviteResponse>;

// What lib/jobs returns as is must be exactly what the schemas above document.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _JobMatches = Assert<Same<z.output<typeof jobResponse>, JobView>>;
type _CredentialMatches = Assert<Same<z.output<typeof credentialsResponse>[number], Credential>>;
type _GatewayMatches = Assert<Same<z.output<typeof gatewayResponse>, GatewayResult>>;
type _CheckpointMatches = Assert<Same<z.output<typeof checkpointsResponse>["checkpoints"][number], CheckpointView>>;
type _RedeemedMatches = Assert<Same<z.output<typeof redeemedInviteResponse>, Redeemed>>;
