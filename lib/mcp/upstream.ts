// The fixed sentences of MCP login failures, and the one place an upstream error becomes one. Nothing an MCP server
// or its authorization server sent (a body, an error_description, a URL it named) ever reaches a message or a log.
import "server-only";
import { OAuthError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { AppError } from "../errors";
import { log } from "../log";
import { isOutboundError, isOutboundException } from "../outbound";

/** Why a server or its authorization server cannot be used: stable codes for pages and logs (AppError.details.reason). */
export type McpRefusal =
  | "server_url"
  | "no_resource_metadata"
  | "resource_mismatch"
  | "no_authorization_server"
  | "authorization_server_url"
  | "issuer_mismatch"
  | "pkce_unsupported"
  | "code_flow_unsupported"
  | "insecure_endpoint"
  | "no_client_registration"
  | "registration_refused"
  | "iss_missing"
  | "iss_mismatch"
  | "redirect_uri_mismatch"
  | "authorization_denied"
  | "authorization_failed"
  | "no_code"
  | "token_type";

const REFUSALS: Record<McpRefusal, string> = {
  server_url: "The MCP server URL must be an https URL without a user name, password or fragment.",
  no_resource_metadata: "This MCP server does not publish OAuth protected resource metadata (RFC 9728), so Gatehouse cannot log in to it.",
  resource_mismatch: "This MCP server's protected resource metadata names a different resource than the server's URL; Gatehouse does not log in to it.",
  no_authorization_server: "This MCP server's protected resource metadata names no authorization server.",
  authorization_server_url: "This MCP server names an authorization server whose URL is not an https URL Gatehouse can use.",
  issuer_mismatch: "The authorization server's metadata names a different issuer than the one it was discovered from; Gatehouse does not use it.",
  pkce_unsupported: "This MCP server's authorization server does not support PKCE with S256, which Gatehouse requires.",
  code_flow_unsupported: "This MCP server's authorization server does not support the authorization code flow.",
  insecure_endpoint: "This MCP server's authorization server advertises an endpoint that is not https.",
  no_client_registration:
    "Gatehouse cannot register with this MCP server's authorization server: it supports neither Client ID Metadata Documents nor dynamic client registration, and this workspace has no provider for it. Ask an operator to add one.",
  registration_refused: "This MCP server's authorization server refused Gatehouse's client registration.",
  iss_missing: "The authorization response did not say which authorization server sent it; Gatehouse did not use it.",
  iss_mismatch: "The authorization response came from a different authorization server than the one the login started at; Gatehouse did not use it.",
  redirect_uri_mismatch: "The authorization response came back for a different authorization server than the one the login started at; Gatehouse did not use it.",
  authorization_denied: "The login at the MCP server was declined.",
  authorization_failed: "The MCP server's authorization server did not complete the login.",
  no_code: "The authorization response carried no authorization code.",
  token_type: "The MCP server's authorization server issued a kind of token Gatehouse does not use (only Bearer tokens).",
};

export function refused(reason: McpRefusal): AppError {
  return new AppError("bad_request", REFUSALS[reason], { details: { reason } });
}

export type McpStage = "probe" | "resource_metadata" | "authorization_server" | "registration" | "token" | "refresh" | "revocation";

const UNAVAILABLE: Record<McpStage, string> = {
  probe: "The MCP server could not be reached. Try again in a minute.",
  resource_metadata: "The MCP server's protected resource metadata could not be read. Try again in a minute.",
  authorization_server: "The MCP server's authorization server could not be reached. Try again in a minute.",
  registration: "Gatehouse could not register with the MCP server's authorization server. Try again in a minute.",
  token: "The MCP server's authorization server did not issue a token. Try the login again.",
  refresh: "The MCP server's authorization server could not refresh the token. Try again in a minute.",
  revocation: "The MCP server's authorization server could not revoke the token.",
};

/** A short, safe description of what went wrong, for the log: never a message (it may quote upstream bytes). */
export function failureKind(err: unknown): string {
  if (isOutboundError(err)) return err.networkCode ? `${err.kind}:${err.networkCode}` : err.kind;
  if (err instanceof OAuthError) return `oauth:${err.errorCode}`;
  if (err instanceof Error) return err.name === "ZodError" ? "malformed_response" : "error";
  return "error";
}

/**
 * Any failure to reach or understand an MCP server or its authorization server: a 503 with a fixed sentence. A URL
 * rule the outbound fetch refused (http, a private address) keeps its own 400 and sentence, which name no address;
 * a refusal of ours (an AppError that is not an outbound one) passes as it is.
 */
export function upstreamFailure(err: unknown, stage: McpStage, where: string): AppError {
  if (err instanceof AppError && !isOutboundError(err)) return err;
  if (isOutboundError(err) && err.code === "bad_request") {
    log.warn({ stage, where, kind: failureKind(err) }, "an MCP request was refused by the outbound rules");
    return err;
  }
  log.warn({ stage, where, kind: failureKind(err) }, "an MCP server or its authorization server could not be used");
  return new AppError("unavailable", UNAVAILABLE[stage]);
}

/** Where a URL points, for logs: its origin only (an MCP server URL may carry a key in its query). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "invalid";
  }
}

/** https, or http to a GATEHOUSE_OUTBOUND_ALLOW host:port (tests and development only); never credentials. */
export function usableUrl(value: unknown, { noQuery = false }: { noQuery?: boolean } = {}): URL | null {
  if (typeof value !== "string" || value.length > 2048 || !URL.canParse(value)) return null;
  const url = new URL(value);
  // An empty fragment ("…#") leaves url.hash empty but stays in the href.
  if (url.username || url.password || url.href.includes("#") || !url.hostname) return null;
  if (noQuery && url.search) return null;
  if (url.protocol === "https:") return url;
  return url.protocol === "http:" && isOutboundException(url) ? url : null;
}
