// lib/mcp's refresh in the shape the single-flight refresh (lib/connections/refresh.ts) takes for MCP connections.
import "server-only";
import type { McpRefresher } from "../connections/refresh-upstream";
import { McpTokenError, refreshMcpTokens } from "./tokens";

export const mcpRefresher: McpRefresher = async ({ workspaceId, issuer, resource, refreshToken }) => {
  try {
    const { tokens, expiresAt, scopes } = await refreshMcpTokens({ workspaceId, issuer, resource, refreshToken });
    return {
      kind: "refreshed",
      accessToken: tokens.accessToken,
      // refreshMcpTokens keeps the old refresh token when none came back; null here means "not rotated".
      refreshToken: tokens.refreshToken && tokens.refreshToken !== refreshToken ? tokens.refreshToken : null,
      tokenType: tokens.tokenType,
      expiresAt,
      ...(scopes ? { scopes } : {}),
    };
  } catch (err) {
    if (err instanceof McpTokenError) return err.kind === "invalid_grant" ? { kind: "invalid_grant" } : { kind: "unavailable", why: "mcp" };
    return { kind: "unavailable", why: "mcp_error" };
  }
};
