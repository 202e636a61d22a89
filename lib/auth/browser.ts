import "server-only";
import { assertSameOrigin, clientIp, rateLimitSubject, userAgent } from "../http/request";
import { enforceRateLimit } from "../ratelimit/fixed-window";
import { adminCookie, portalCookie } from "./cookies";
import { withJsonErrors } from "./wrap";

export type BrowserCaller = { ip: string; userAgent: string | null; currentSession: string | undefined; currentAdminSession: string | undefined };

type Budget = { bucket: string; limit: () => number };

/**
 * A browser that has no session yet (a settings link, the Telegram Mini App): state-changing requests only
 * from our own origin, then a per-address budget. Cross-site requests are refused before counting, so they
 * cannot fill a victim's bucket.
 */
export async function authorizeBrowser(req: Request, { bucket, limit }: Budget): Promise<BrowserCaller> {
  const ip = clientIp(req.headers);
  if (req.method !== "GET" && req.method !== "HEAD") assertSameOrigin(req.headers);
  await enforceRateLimit({ bucket, subject: rateLimitSubject(ip) ?? ip, limit: limit() });
  return { ip, userAgent: userAgent(req.headers), currentSession: portalCookie.read(req.headers), currentAdminSession: adminCookie.read(req.headers) };
}

/** The JSON flavour (errors through the JSON mapper); pages use authorizeBrowser with the HTML one. */
export function withBrowserCaller(budget: Budget, handler: (req: Request, caller: BrowserCaller) => Promise<Response>) {
  return withJsonErrors(async (req) => handler(req, await authorizeBrowser(req, budget)), { bearer: false });
}
