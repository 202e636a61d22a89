// The wrapper for link-flow route handlers: every failure becomes a standalone page with the right status.
import "server-only";
import { isAppError, isInfrastructureError } from "@/lib/errors";
import { log } from "@/lib/log";
import { pages } from "./html";

export function withLinkPage(handler: (req: Request) => Promise<Response>) {
  return async (req: Request): Promise<Response> => {
    try {
      return await handler(req);
    } catch (err) {
      if (isAppError(err)) {
        switch (err.code) {
          case "rate_limited":
            return pages.rateLimited(err.headers?.["Retry-After"] ?? "60");
          case "cross_origin":
            return pages.crossOrigin();
          case "link_expired":
            return pages.expired();
          case "forbidden":
            return pages.mismatch();
          case "unavailable":
            return pages.unavailable();
          default:
            return pages.badRequest();
        }
      }
      if (isInfrastructureError(err)) {
        log.warn({ err }, "link flow: infrastructure unavailable");
        return pages.unavailable();
      }
      log.error({ err }, "link flow: unexpected error");
      return pages.unavailable();
    }
  };
}
