// Every /api/v1 operation as data: what it takes, what it answers and every error code its code path can
// return (read from the wrappers in lib/auth, lib/http and the lib/jobs functions each handler calls).
// lib/api/openapi.test.ts drives each operation into each of these codes and fails on any it did not list.
import type { z } from "zod";
import { AppError, type ErrorCode } from "../errors";
import {
  checkpointsQuery,
  checkpointsResponse,
  createdJobResponse,
  createJobRequest,
  credentialsResponse,
  gatewayResponse,
  integrationsConnectRequest,
  jobResponse,
  mcpLoginRequest,
  openApiDocumentResponse,
  redeemedInviteResponse,
  redeemInviteRequest,
  rotatedTokenResponse,
  settingsLinkRequest,
} from "./v1-schemas";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type SecurityScheme = "serviceToken" | "jobToken";

/** A schema published under components.schemas by its name. */
export type NamedSchema = { name: string; schema: z.ZodType };

export type SuccessResponse = { status: number; description: string; body?: NamedSchema };

export type Operation = {
  operationId: string;
  method: HttpMethod;
  path: string;
  tag: "orchestrator" | "worker" | "gateway" | "audit" | "meta";
  summary: string;
  description?: string;
  security: SecurityScheme | null;
  requestBody?: NamedSchema;
  /** Optional query parameters. */
  query?: Record<string, z.ZodType>;
  responses: SuccessResponse[];
  errors: readonly ErrorCode[];
  /** When a code means more here than its default message says. */
  errorNotes?: Partial<Record<ErrorCode, string>>;
};

/** The status an error code is answered with: the one mapping of lib/errors. */
export function errorStatus(code: ErrorCode): number {
  return new AppError(code).status;
}

export function defaultMessage(code: ErrorCode): string {
  return new AppError(code).message;
}

/** Any method a path does not serve (otherMethods in lib/http/respond), with `Allow` naming those it does. */
export const OTHER_METHOD_ERROR = "method_not_allowed" satisfies ErrorCode;

// withServiceToken / withJobToken / withUnverifiedJobToken, through lib/auth/bearer and the one mapper:
// a missing or malformed token, another scheme, the per-token budget, Postgres or Redis down, anything else.
const BEARER_ERRORS = ["invalid_token", "unsupported_auth_scheme", "rate_limited", "unavailable", "internal_error"] as const satisfies ErrorCode[];
// readJson (lib/http/json-body): content type, size, syntax, schema.
const JSON_BODY_ERRORS = ["unsupported_media_type", "payload_too_large", "invalid_json", "validation_failed"] as const satisfies ErrorCode[];

const jobResponseSchema = { name: "Job", schema: jobResponse };

export const operations: readonly Operation[] = [
  {
    operationId: "createJob",
    method: "POST",
    path: "/api/v1/jobs",
    tag: "orchestrator",
    summary: "Start a job for a member of the token's workspace, with grants and a job token",
    security: "serviceToken",
    requestBody: { name: "CreateJobRequest", schema: createJobRequest },
    responses: [{ status: 201, description: "The job and its token", body: { name: "CreatedJob", schema: createdJobResponse } }],
    errors: [...BEARER_ERRORS, ...JSON_BODY_ERRORS, "not_a_member", "invalid_grants"],
    errorNotes: {
      invalid_token: "The token is missing, malformed, unknown, expired or revoked (also when revoked during this request).",
      validation_failed: "Wrong types or unknown fields (details.fields), ttlSeconds outside 60..86400, an unknown platform or a malformed platform id.",
      not_a_member: "The user is not a member of the token's workspace.",
      invalid_grants:
        "details.grants lists per-grant reasons (invalid_secret_name, invalid_provider_id, invalid_mcp_server_url, invalid_env_var, env_var_not_allowed, duplicate_env_var, secret_not_found, connection_not_found); details.missing_secrets the secrets the user has yet to add; details.missing_connections the provider ids and MCP server URLs (canonical form) the user has yet to connect; details.max_grants when there are more than 20.",
    },
  },
  {
    operationId: "getJob",
    method: "GET",
    path: "/api/v1/jobs/{jobId}",
    tag: "orchestrator",
    summary: "A job of the token's workspace, its grants without values",
    security: "serviceToken",
    responses: [{ status: 200, description: "The job", body: jobResponseSchema }],
    errors: [...BEARER_ERRORS, "not_found"],
    errorNotes: { not_found: "Another workspace's job, an unknown or a malformed id: all the same answer." },
  },
  {
    operationId: "completeJob",
    method: "POST",
    path: "/api/v1/jobs/{jobId}/complete",
    tag: "orchestrator",
    summary: "End the job and revoke its tokens; idempotent",
    description: "Takes no body. Completing an ended job answers the job as it is (completed, revoked or expired).",
    security: "serviceToken",
    responses: [{ status: 200, description: "The job, completed (or revoked or expired, if it had already ended)", body: jobResponseSchema }],
    errors: [...BEARER_ERRORS, "not_found"],
    errorNotes: { not_found: "Another workspace's job, an unknown or a malformed id: all the same answer." },
  },
  {
    operationId: "redeemInvite",
    method: "POST",
    path: "/api/v1/invites/redeem",
    tag: "orchestrator",
    summary: "Redeem an invite code of the token's workspace for a chat user, who becomes a member",
    description:
      "Exactly the invite's use limit of redemptions succeed, however many race. Failed attempts count against RATE_LIMIT_INVITE_PER_IP_PER_MINUTE and RATE_LIMIT_INVITE_PER_WORKSPACE_PER_MINUTE; a redemption that works gives its slot back. The code is never echoed.",
    security: "serviceToken",
    requestBody: { name: "RedeemInviteRequest", schema: redeemInviteRequest },
    responses: [{ status: 201, description: "The user (created if Gatehouse did not know them) is now a member", body: { name: "RedeemedInvite", schema: redeemedInviteResponse } }],
    errors: [...BEARER_ERRORS, ...JSON_BODY_ERRORS, "already_member", "invite_invalid"],
    errorNotes: {
      validation_failed: "Wrong types or unknown fields (details.fields), an unknown platform or a malformed platform id.",
      rate_limited: "The token's budget, or too many failed redemptions from this address or in this workspace: wait for Retry-After.",
      already_member: "The code is usable and the user is already a member of this workspace; no use was taken.",
      invite_invalid: "The one answer for an unknown, malformed, revoked, expired or used-up code, or another workspace's.",
    },
  },
  {
    operationId: "getJobCredentials",
    method: "GET",
    path: "/api/v1/worker/jobs/{jobId}/credentials",
    tag: "worker",
    summary: "The job's granted secrets and connection access tokens as environment variables, failing closed",
    description:
      "Every authenticated call is audited; nothing is served unless its record committed. A connection or mcp grant's value is a currently valid access token: one that expires within 5 minutes (or within half its lifetime, if shorter) is refreshed first, once per connection however many workers ask at once.",
    security: "jobToken",
    responses: [
      { status: 200, description: "The granted secrets and access tokens", body: { name: "Credentials", schema: credentialsResponse } },
      { status: 204, description: "The job has no grants" },
    ],
    errors: [...BEARER_ERRORS, "forbidden"],
    errorNotes: {
      invalid_token: "Missing, unknown, expired, revoked or rotated-out token, a token of another job, a completed job's token, or a service token.",
      forbidden:
        "The one answer for every deny reason: owner or membership gone, a granted secret or connection deleted, a connection that needs reconnecting (its refresh was refused), a value that does not decrypt, job not running.",
      unavailable: "Redis or PostgreSQL unreachable, or a connection's provider down or slow while its token needed a refresh: never a 200 from stale state or a stale token.",
    },
  },
  {
    operationId: "rotateJobToken",
    method: "POST",
    path: "/api/v1/worker/jobs/{jobId}/token/rotate",
    tag: "worker",
    summary: "A new job token; the old one keeps working for the grace period",
    description: "Takes no body. The new token expires with the job: rotation never extends it.",
    security: "jobToken",
    responses: [{ status: 200, description: "The new token", body: { name: "RotatedToken", schema: rotatedTokenResponse } }],
    errors: [...BEARER_ERRORS, "already_rotated"],
    errorNotes: {
      invalid_token: "Missing, unknown, expired, revoked or rotated-out token, a token of another job, or a job that is not running.",
      already_rotated: "This token was already rotated (it is in its grace window): only its successor can rotate.",
    },
  },
  ...(
    [
      {
        operationId: "requestSettingsLink",
        path: "/api/v1/gateway/settings-link",
        summary: "Put a settings (or admin console) button in front of the job's owner",
        requestBody: { name: "SettingsLinkRequest", schema: settingsLinkRequest },
      },
      {
        operationId: "requestIntegrationConnect",
        path: "/api/v1/gateway/integrations/connect",
        summary: "Put a button that connects one of the workspace's providers in front of the job's owner",
        requestBody: { name: "IntegrationsConnectRequest", schema: integrationsConnectRequest },
      },
      {
        operationId: "requestMcpLogin",
        path: "/api/v1/gateway/mcp-login",
        summary: "Put a button that signs the job's owner in to a remote MCP server in front of them",
        requestBody: { name: "McpLoginRequest", schema: mcpLoginRequest },
      },
    ] as const
  ).map(
    (g): Operation => ({
      ...g,
      method: "POST",
      tag: "gateway",
      description:
        "The answer never holds the link or any part of it: delivered, or a reason the agent can relay. Every attempt counts against RATE_LIMIT_GATEWAY_PER_JOB per 10 minutes and is audited.",
      security: "jobToken",
      responses: [{ status: 200, description: "Delivered, or not delivered with a reason and a sentence to relay", body: { name: "GatewayResult", schema: gatewayResponse } }],
      errors: [...BEARER_ERRORS, ...JSON_BODY_ERRORS, "forbidden"],
      errorNotes: {
        invalid_token: "Missing, unknown, expired, revoked or rotated-out job token, or a service token.",
        validation_failed: "Unknown fields or section, a provider this workspace has not configured, a server that is not an https URL, or a reason with links or over 200 characters.",
        forbidden: "The one answer of the credentials path: the job is not running, or its owner is no longer a member.",
      },
    }),
  ),
  {
    operationId: "listAuditCheckpoints",
    method: "GET",
    path: "/api/v1/audit/checkpoints",
    tag: "audit",
    summary: "The token's workspace's signed audit checkpoints, oldest first",
    description:
      "Keep them outside Gatehouse: an export (gatehouse audit export) verified against them with the public key (gatehouse audit public-key) proves no recorded history up to each checkpoint was rewritten, even by someone with write access to the database.",
    security: "serviceToken",
    query: checkpointsQuery,
    responses: [{ status: 200, description: "One page of checkpoints", body: { name: "AuditCheckpoints", schema: checkpointsResponse } }],
    errors: [...BEARER_ERRORS, "validation_failed"],
    errorNotes: { validation_failed: "after or limit is not a whole number in range, is given twice, or another query parameter is present (details.fields)." },
  },
  {
    operationId: "getOpenApiDocument",
    method: "GET",
    path: "/api/v1/openapi.json",
    tag: "meta",
    summary: "This document",
    description: "No authentication: it describes the API and holds no secrets.",
    security: null,
    responses: [{ status: 200, description: "The OpenAPI 3.1 document", body: { name: "OpenApiDocument", schema: openApiDocumentResponse } }],
    errors: ["internal_error"],
  },
];
