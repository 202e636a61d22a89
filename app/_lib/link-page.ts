import "server-only";
import { authorizeBrowser, type BrowserCaller } from "@/lib/auth/browser";
import { getConfig } from "@/lib/config";
import { withErrorPage } from "./error-page";

const linkBudget = { bucket: "link", limit: () => getConfig().rateLimits.linkPerMinute };

/** The settings-link pages: a budgeted browser caller (same-origin for the POST), errors as pages. */
export function withLinkPage(handler: (req: Request, caller: BrowserCaller) => Promise<Response>) {
  return withErrorPage(async (req) => handler(req, await authorizeBrowser(req, linkBudget)));
}
