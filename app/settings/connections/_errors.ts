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
  mcp_refused: "That MCP server cannot be connected safely.",
} as const;

export type ConnectionErrorCode = keyof typeof CONNECTION_ERRORS;

export function connectionsErrorPath(err: AppError): string | null {
  const why = (err as { why?: string }).why;
  const code: ConnectionErrorCode | null =
    why === "denied" || why === "invalid_response"
      ? why
      : err.code === "not_found"
        ? "not_found"
        : err.code === "unavailable"
          ? "unavailable"
          : err.code === "validation_failed" || err.code === "bad_request"
            ? "invalid_server"
            : null;
  return code ? `/settings/connections?${new URLSearchParams({ error: code })}` : null;
}
