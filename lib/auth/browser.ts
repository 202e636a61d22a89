import "server-only";
import { assertSameOrigin, clientIp, userAgent } from "../http/request";
import { enforceRateLimit } from "../ratelimit/fixed-window";
import { portalCookie } from "./cookies";
import { withJsonErrors } from "./wrap";

export type BrowserCaller = { ip: string; userAgent: string | null; currentSession: string | undefined };

/**
 * A JSON endpoint a browser calls before it has any session (the Telegram Mini App's sign-in): our own origin
 * only, then a per-address budget. Cross-site requests are refused before counting, so they cannot fill a
 * victim's bucket.
 */
export function withBrowserCaller(
  { bucket, limit }: { bucket: string; limit: () => number },
  handler: (req: Request, caller: BrowserCaller) => Promise<Response>,
) {
  return withJsonErrors(async (req) => {
    const ip = clientIp(req.headers);
    assertSameOrigin(req.headers);
    await enforceRateLimit({ bucket, subject: ip, limit: limit() });
    return handler(req, { ip, userAgent: userAgent(req.headers), currentSession: portalCookie.read(req.headers) });
  }, { bearer: false });
}
