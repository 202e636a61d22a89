// Where a failed Connections action sends the person back to: the page says what happened, by a fixed code only.
import "server-only";
import type { AppError } from "@/lib/errors";

export const CONNECTION_ERRORS = {
  not_found: "That provider or connection is not available to you, so nothing was changed.",
  denied: "The provider did not grant access, so nothing was connected. You can try again.",
  invalid_response: "The provider's answer could not be accepted, so nothing was connected. Please start again.",
  expired: "That sign-in took too long or was already used, so nothing was connected. Please start again.",
  other_session: "That sign-in was started in another browser session, so nothing was connected. Start it again here.",
  unavailable: "The provider could not be reached. Nothing was changed; try again in a minute.",
  invalid_server: "That MCP server address is not usable. It must be an https URL of a public server.",
  mcp_refused:
    "That MCP server cannot be connected safely: its sign-in does not meet Gatehouse's requirements (matching metadata, PKCE, a way to register). Nothing was changed.",
  rate_limited: "Too many sign-ins were started just now. Wait a few minutes, then try again.",
} as const;

export type ConnectionErrorCode = keyof typeof CONNECTION_ERRORS;

const BY_CODE: Partial<Record<AppError["code"], ConnectionErrorCode>> = {
  rate_limited: "rate_limited",
  not_found: "not_found",
  unavailable: "unavailable",
  validation_failed: "invalid_server",
  // lib/mcp's refusals (no PKCE, mismatched metadata, no way to register) and anything else the request broke.
  bad_request: "mcp_refused",
};

export function connectionsErrorPath(err: AppError): string | null {
  const why = (err as { why?: string }).why;
  const code = why === "denied" || why === "invalid_response" ? why : (BY_CODE[err.code] ?? null);
  return code ? `/settings/connections?${new URLSearchParams({ error: code })}` : null;
}
