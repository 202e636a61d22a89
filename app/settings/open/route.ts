// POST /settings/open (form: s=<id>) – consumes the link exactly once, then opens the portal or hands over
// to the identity provider. The browser never sees `s` in a URL after this.
import { cookies } from "next/headers";
import { signIn } from "@/auth";
import { getConfig } from "@/lib/config";
import { readForm } from "@/lib/http/body";
import { assertSameOrigin, clientIp, userAgent } from "@/lib/http/request";
import { openLink } from "@/lib/flows/settings-link";
import { PENDING_TTL_SECONDS } from "@/lib/links/pending";
import { portalCookieName, serializePortalCookie } from "@/lib/auth/cookies";
import { enforceRateLimit } from "@/lib/ratelimit/fixed-window";
import { LINK_PAGE_HEADERS } from "../../_lib/html";
import { withLinkPage } from "../../_lib/link-route";

export const dynamic = "force-dynamic";

const PENDING_COOKIE = "gh_pending";

export const POST = withLinkPage(async (req) => {
  const ip = clientIp(req.headers);
  // Cross-site requests must not fill a victim's bucket: refuse them before counting.
  assertSameOrigin(req.headers);
  await enforceRateLimit({ bucket: "link", subject: ip, limit: getConfig().rateLimits.linkPerMinute });
  const form = await readForm(req);
  const jar = await cookies();
  const result = await openLink({ id: form.get("s"), ip, userAgent: userAgent(req.headers), currentSession: jar.get(portalCookieName())?.value });

  if (result.next === "portal") {
    return new Response(null, {
      status: 303,
      headers: { ...LINK_PAGE_HEADERS, Location: "/settings", "Set-Cookie": serializePortalCookie(result.sessionId, result.maxAgeSeconds) },
    });
  }
  jar.set(PENDING_COOKIE, result.pendingId, { httpOnly: true, sameSite: "lax", path: "/settings", secure: getConfig().secureCookies, maxAge: PENDING_TTL_SECONDS });
  const url = await signIn("settings", { redirect: false, redirectTo: "/settings/callback" });
  return new Response(null, { status: 303, headers: { ...LINK_PAGE_HEADERS, Location: url } });
});
