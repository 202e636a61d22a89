// Portal form posts (sign out, revoke, save…): same origin, a valid portal session, then 303 back.
import "server-only";
import { resolvePortal, type PortalContext } from "@/lib/auth/portal-session";
import { portalCookie } from "@/lib/auth/cookies";
import { AppError, isAppError } from "@/lib/errors";
import { readForm } from "@/lib/http/body";
import { assertSameOrigin, clientIp } from "@/lib/http/request";
import { withErrorPage } from "./error-page";

/** Where to go next, and optionally a cookie to set on the way (sign-out clears the session cookie). */
type Next = string | { location: string; setCookies: string[] };
type Handler = (args: { form: URLSearchParams; portal: PortalContext; ip: string; cookie: string }) => Promise<Next>;

type Options = {
  /** Largest accepted form body in bytes (default 4 KiB; a secret's value needs more). */
  maxBytes?: number;
  /**
   * Where to send the person back to when the form (or the handler) fails with this error, so the page can
   * say what was wrong (and cookies to set on the way); null falls through to the standalone error pages.
   * Never put submitted values in the URL.
   */
  errorRedirect?: (err: AppError, form: URLSearchParams | null, headers: Headers) => Next | null;
};

const seeOther = (next: Next) => {
  const headers = new Headers({ Location: typeof next === "string" ? next : next.location, "Cache-Control": "no-store" });
  if (typeof next !== "string") for (const cookie of next.setCookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
};

export function withPortalForm(handler: Handler, { maxBytes, errorRedirect }: Options = {}) {
  const recover = (err: unknown, form: URLSearchParams | null, headers: Headers) =>
    errorRedirect && isAppError(err) && err.code !== "cross_origin" && err.code !== "unauthorized" ? errorRedirect(err, form, headers) : null;
  return withErrorPage(async (req) => {
    assertSameOrigin(req.headers);
    let form: URLSearchParams | null = null;
    try {
      form = await readForm(req, maxBytes);
      const portal = await resolvePortal(req.headers);
      if (!portal) throw new AppError("unauthorized", undefined, { reason: "no_portal_session" });
      return seeOther(await handler({ form, portal, ip: clientIp(req.headers), cookie: portalCookie.read(req.headers) ?? "" }));
    } catch (err) {
      const location = recover(err, form, req.headers);
      if (location) return seeOther(location);
      throw err;
    }
  });
}
