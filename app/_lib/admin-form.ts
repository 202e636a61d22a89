// Admin console form posts: same origin, a live admin session with its role re-checked, then 303 back to the page
// with `?done=<what>` or `?error=<code>` for its status message. Submitted values never go into the URL.
import "server-only";
import { requireAdminContext, type AdminContext } from "@/lib/auth/admin-session";
import { isAppError } from "@/lib/errors";
import { readForm } from "@/lib/http/body";
import { assertSameOrigin, clientIp } from "@/lib/http/request";
import { withErrorPage } from "./error-page";

type Handler = (args: { form: URLSearchParams; admin: AdminContext; ip: string }) => Promise<string>;

// Errors a page explains itself; anything else (401, 403, cross-origin, 503) is the standalone error page.
const ON_PAGE = new Set(["not_found", "forbidden", "last_owner", "conflict", "validation_failed", "bad_request", "already_member"]);

const seeOther = (location: string) => new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });

export function withAdminForm(page: string, handler: Handler) {
  return withErrorPage(async (req) => {
    assertSameOrigin(req.headers);
    const admin = await requireAdminContext(req.headers);
    const form = await readForm(req, 4096);
    try {
      return seeOther(await handler({ form, admin, ip: clientIp(req.headers) }));
    } catch (err) {
      if (isAppError(err) && ON_PAGE.has(err.code) && err.reason !== "not_admin") return seeOther(`${page}?${new URLSearchParams({ error: err.code })}`);
      throw err;
    }
  });
}

/** The one acting user as the audit names them. */
export const adminActor = (admin: AdminContext) => ({ type: "admin" as const, id: admin.user.id });
