// The Connections pages' use of lib/mcp: finishing a login at the shared callback, revoking at disconnect.
import "server-only";
import type { FlowRecord } from "@/lib/connections/flow-state";
import type { ConnectionWithTokens } from "@/lib/connections/store";
import { finishMcpLogin, revokeMcpTokens } from "@/lib/mcp";

export async function finishMcp({ flow, callbackUrl, ip }: { flow: FlowRecord; callbackUrl: URL; ip: string | null }) {
  return finishMcpLogin({ flow, callbackUrl, actor: { type: "user", id: flow.userId }, ip });
}

export async function revokeMcpConnection(connection: ConnectionWithTokens): Promise<"revoked" | "unsupported" | "failed"> {
  if (!connection.issuer || !connection.resource) return "unsupported";
  return revokeMcpTokens({ workspaceId: connection.workspaceId, issuer: connection.issuer, resource: connection.resource, tokens: connection.tokens });
}
