// Wrapper for portal form posts (sign out, revoke…): same origin, a valid session, then 303 back.
import "server-only";
import { cookies } from "next/headers";
import { isAppError, type AppError } from "@/lib/errors";
import { readForm } from "@/lib/http/body";
import { assertSameOrigin, clientIp } from "@/lib/http/request";
import { loadPortalContext, type PortalContext } from "@/lib/portal/context";
import { portalCookieName } from "@/lib/auth/cookies";
import { html, pages, renderPage } from "./html";
import { withLinkPage } from "./link-route";

type Handler = (args: { form: URLSearchParams; portal: PortalContext; ip: string; cookie: string }) => Promise<string>;

type Options = {
  /** Largest accepted form body in bytes (default 4 KiB; a secret's value needs more). */
  maxBytes?: number;
  /**
   * Where to send the person back to when the form (or the handler) fails with this error, so the page can
   * say what was wrong; null falls through to the standalone error pages. Never put submitted values in it.
   */
  errorRedirect?: (err: AppError, form: URLSearchParams | null) => string | null;
};

const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });

export function withPortalForm(handler: Handler, { maxBytes, errorRedirect }: Options = {}) {
  const recover = (err: unknown, form: URLSearchParams | null) =>
    errorRedirect && isAppError(err) && err.code !== "cross_origin" && err.code !== "unauthorized" ? errorRedirect(err, form) : null;
  return withLinkPage(async (req) => {
    assertSameOrigin(req.headers);
    let form: URLSearchParams;
    try {
      form = await readForm(req, maxBytes);
    } catch (err) {
      const location = recover(err, null);
      if (location) return seeOther(location);
      throw err;
    }
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
      return seeOther(await handler({ form, portal, ip: clientIp(req.headers), cookie }));
    } catch (err) {
      const location = recover(err, form);
      if (location) return seeOther(location);
      if (isAppError(err) && err.code === "validation_failed") return pages.badRequest();
      throw err;
    }
  });
}
