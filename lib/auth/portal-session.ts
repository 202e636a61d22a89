import "server-only";
import { AppError } from "../errors";
import { assertSameOrigin, clientIp } from "../http/request";
import { loadPortalContext, type PortalContext } from "../portal/context";
import { portalCookie } from "./cookies";
import { stringParams, withJsonErrors, type Params } from "./wrap";

export type { PortalContext };

export function resolvePortal(headers: Headers): Promise<PortalContext | null> {
  return loadPortalContext(portalCookie.read(headers));
}

/** Portal JSON API: the portal session cookie; state-changing methods must come from our own origin. */
export function withPortalSession(handler: (req: Request, ctx: { portal: PortalContext; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    if (req.method !== "GET" && req.method !== "HEAD") assertSameOrigin(req.headers);
    const portal = await resolvePortal(req.headers);
    if (!portal) throw new AppError("unauthorized", "Your portal session has ended. Open the settings link from your chat again.");
    return handler(req, { portal, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: false });
}
