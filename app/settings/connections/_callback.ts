// The connect callback (SPEC §12), behind both of its routes: /settings/connections/callback (a provider's connect,
// and an MCP login with a client the operator pre-registered) and /settings/connections/callback/mcp/<issuer digest>
// (every other MCP login, one path per authorization server). The state is consumed only by the portal session that
// started it (one-time, whatever happens next; another session's callback leaves it alone), then the response must
// have come back on the redirect URI the flow sent; only then is the code exchanged. The person lands on the Connections page with what happened.
//
// The path check is the mix-up defence (RFC 9700 §4.4.2). Gatehouse is one public client at many MCP authorization
// servers (a metadata document, or a registration without a secret), and iss (RFC 9207) is only required where the
// server advertises it. An authorization server a login was sent to could bounce the browser to another server, with
// Gatehouse's client id there, this state and this PKCE challenge; that server's code comes back on its own redirect
// path, not on the one this flow waits on, and is refused here: it never reaches the first server's token endpoint
// with this flow's verifier. Where the server does not send iss, this is what protects the login, and it is enough;
// such a login is not refused for that.
import "server-only";
import { resolvePortal } from "@/lib/auth/portal-session";
import { ConnectRefused, finishProviderConnect } from "@/lib/connections/connect";
import { takeFlow } from "@/lib/connections/flow-state";
import { AppError, isAppError } from "@/lib/errors";
import { clientIp } from "@/lib/http/request";
import { log } from "@/lib/log";
import { withErrorPage } from "../../_lib/error-page";
import { connectionsErrorPath, type ConnectionErrorCode } from "./_errors";
import { finishMcp } from "./_mcp";

const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
const back = (error: ConnectionErrorCode) => seeOther(`/settings/connections?${new URLSearchParams({ error })}`);

// A callback URL is small; a huge one is not a provider's.
const MAX_QUERY_LENGTH = 8192;

/** The path of the redirect URI a flow sent (built on the public URL; the request may reach us on another host). */
const pathOf = (redirectUri: string): string | null => (URL.canParse(redirectUri) ? new URL(redirectUri).pathname : null);

export const connectCallback = withErrorPage(async (req) => {
  const received = new URL(req.url);
  if (received.search.length > MAX_QUERY_LENGTH) throw new AppError("bad_request");
  const portal = await resolvePortal(req.headers);
  if (!portal) throw new AppError("unauthorized", undefined, { reason: "no_portal_session" });

  const flow = await takeFlow(received.searchParams.get("state"), portal.session.ref);
  if (flow === "other_session") {
    log.warn("a connect callback came back in another portal session; the flow stays for its own");
    return back("other_session");
  }
  if (!flow) return back("expired");
  if (flow.workspaceId !== portal.workspace.id || flow.userId !== portal.user.id) {
    log.warn({ kind: flow.target.kind }, "a connect callback came back in another portal session");
    return back("other_session");
  }
  // Back on the redirect URI this flow sent, or nothing is exchanged: a provider's flow on an MCP path, an MCP flow
  // on the provider path or on another authorization server's path.
  const expected = pathOf(flow.redirectUri);
  if (expected === null || received.pathname !== expected) {
    log.warn({ kind: flow.target.kind }, "a connect callback came back on another redirect URI than its flow's; refused");
    return back("invalid_response");
  }
  // Rebuilt on the flow's redirect URI (on the public URL): the redirect_uri sent with the code must be exactly the
  // one the authorization request sent.
  const callbackUrl = new URL(flow.redirectUri);
  callbackUrl.search = received.search;
  const ip = clientIp(req.headers);
  try {
    if (flow.target.kind === "provider") {
      const done = await finishProviderConnect({ flow: { ...flow, target: flow.target }, callbackUrl, ip });
      return seeOther(`/settings/connections?${new URLSearchParams({ [done.reconnected ? "reconnected" : "connected"]: done.providerId })}`);
    }
    await finishMcp({ flow: { ...flow, target: flow.target }, callbackUrl, ip });
    return seeOther(`/settings/connections?${new URLSearchParams({ added: "mcp" })}`);
  } catch (err) {
    if (err instanceof ConnectRefused) return back(err.why);
    const path = isAppError(err) ? connectionsErrorPath(err) : null;
    if (path) return seeOther(path);
    throw err;
  }
});
