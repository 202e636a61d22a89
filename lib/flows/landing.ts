// Where an opened link lands (SPEC §7 "links by purpose"): the portal section, or, for connect and MCP-login links,
// straight into that provider's or server's authorization, started for the portal session just created. If the
// authorization cannot start (the provider was removed, or is down), the person lands on Connections, which says so.
import "server-only";
import { startProviderConnect } from "../connections/connect";
import { sha256Hex } from "../crypto/opaque";
import { isAppError } from "../errors";
import { landingPath, type LinkPurpose } from "../links/purpose";
import { log } from "../log";
import { startMcpLogin } from "../mcp";

export async function landingFor(purpose: LinkPurpose, session: { workspaceId: string; userId: string; sessionId: string; ip: string | null }): Promise<string> {
  if (purpose.kind !== "connect" && purpose.kind !== "mcp") return landingPath(purpose);
  const sessionRef = sha256Hex(session.sessionId);
  try {
    if (purpose.kind === "connect") {
      return (await startProviderConnect({ portal: { workspaceId: session.workspaceId, userId: session.userId, sessionRef }, providerId: purpose.provider })).authorizationUrl;
    }
    return (await startMcpLogin({ workspaceId: session.workspaceId, userId: session.userId, sessionRef, serverUrl: purpose.server, ip: session.ip })).authorizationUrl;
  } catch (err) {
    if (!isAppError(err)) throw err;
    log.info({ purpose: purpose.kind, code: err.code }, "a link's authorization could not start; landing on Connections");
    const error = err.code === "not_found" ? "not_found" : err.code === "unavailable" ? "unavailable" : "mcp_refused";
    return `${landingPath(purpose)}&${new URLSearchParams({ error })}`;
  }
}
