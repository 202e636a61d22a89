// Wrapper for portal form posts (sign out, revoke…): same origin, a valid session, then 303 back.
import "server-only";
import { cookies } from "next/headers";
import { isAppError } from "@/lib/http/errors";
import { readForm } from "@/lib/http/body";
import { assertSameOrigin, clientIp } from "@/lib/http/request";
import { loadPortalContext, type PortalContext } from "@/lib/portal/context";
import { portalCookieName } from "@/lib/portal/cookie";
import { html, pages, renderPage } from "./html";
import { withLinkPage } from "./link-route";

type Handler = (args: { form: URLSearchParams; portal: PortalContext; ip: string; cookie: string }) => Promise<string>;

export function withPortalForm(handler: Handler) {
  return withLinkPage(async (req) => {
    assertSameOrigin(req.headers);
    const form = await readForm(req);
    const cookie = (await cookies()).get(portalCookieName())?.value ?? "";
    const portal = await loadPortalContext(cookie);
    if (!portal) {
      return renderPage({
        status: 401,
        tone: "warn",
        title: "Open the settings link from your chat",
        body: html`<p>Your session has ended. Ask your agent for a new settings link.</p>`,
      });
    }
    try {
      const location = await handler({ form, portal, ip: clientIp(req.headers), cookie });
      return new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });
    } catch (err) {
      if (isAppError(err) && err.code === "validation_failed") return pages.badRequest();
      throw err;
    }
  });
}
