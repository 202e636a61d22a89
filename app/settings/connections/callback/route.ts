// GET /settings/connections/callback – back from a provider's (or an MCP server's) authorization (SPEC §12).
// The state is consumed first (one-time, whatever happens next), then it must belong to this very portal session;
// only then is the code exchanged. The person lands on the Connections page with what happened.
import { resolvePortal } from "@/lib/auth/portal-session";
import { ConnectRefused, finishProviderConnect } from "@/lib/connections/connect";
import { takeFlow } from "@/lib/connections/flow-state";
import { connectRedirectUri } from "@/lib/connections/oauth-client";
import { AppError, isAppError } from "@/lib/errors";
import { clientIp } from "@/lib/http/request";
import { log } from "@/lib/log";
import { withErrorPage } from "../../../_lib/error-page";
import { connectionsErrorPath, type ConnectionErrorCode } from "../_errors";
import { finishMcp } from "../_mcp";

export const dynamic = "force-dynamic";

const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
const back = (error: ConnectionErrorCode) => seeOther(`/settings/connections?${new URLSearchParams({ error })}`);

// A callback URL is small; a huge one is not a provider's.
const MAX_QUERY_LENGTH = 8192;

export const GET = withErrorPage(async (req) => {
  const received = new URL(req.url);
  if (received.search.length > MAX_QUERY_LENGTH) throw new AppError("bad_request");
  const portal = await resolvePortal(req.headers);
  if (!portal) throw new AppError("unauthorized", undefined, { reason: "no_portal_session" });

  const flow = await takeFlow(received.searchParams.get("state"));
  if (!flow) return back("expired");
  if (flow.sessionRef !== portal.session.ref || flow.workspaceId !== portal.workspace.id || flow.userId !== portal.user.id) {
    log.warn({ kind: flow.target.kind }, "a connect callback came back in another portal session");
    return back("other_session");
  }
  // Rebuilt on the public URL: the redirect_uri sent with the code must be exactly the one registered.
  const callbackUrl = new URL(connectRedirectUri());
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
