// The one HTML error mapper: anything thrown on a page route becomes its standalone page (lib/http/respond's
// toResponse is its JSON twin). Unknown errors are logged (redacted) and shown as "temporarily unavailable".
import "server-only";
import { isAppError, isInfrastructureError } from "@/lib/errors";
import { log } from "@/lib/log";
import { pages } from "./html";

export function errorPage(err: unknown): Response {
  if (isAppError(err)) {
    switch (err.code) {
      case "rate_limited":
        return pages.rateLimited(err.headers?.["Retry-After"] ?? "60");
      case "cross_origin":
        return pages.crossOrigin();
      case "link_expired":
        return pages.expired();
      case "forbidden":
        if (err.reason === "identity_mismatch") return pages.mismatch();
        if (err.reason === "telegram_mismatch") return pages.telegramMismatch();
        if (err.reason === "not_admin") return pages.notAdmin();
        return pages.forbidden();
      case "unauthorized":
        if (err.reason === "no_admin_session") return pages.noAdminSession();
        return err.reason === "sign_in_failed" ? pages.signInFailed() : pages.noSession();
      case "invalid_init_data":
        return pages.telegramUnverified(err.message);
      case "unavailable":
        return pages.unavailable();
      default:
        return pages.badRequest();
    }
  }
  if (isInfrastructureError(err)) {
    log.warn({ err }, "page: infrastructure unavailable");
    return pages.unavailable();
  }
  log.error({ err }, "page: unexpected error");
  return pages.unavailable();
}

/** A page route whose every failure is its standalone error page. */
export function withErrorPage(handler: (req: Request) => Promise<Response>) {
  return async (req: Request): Promise<Response> => {
    try {
      return await handler(req);
    } catch (err) {
      return errorPage(err);
    }
  };
}
