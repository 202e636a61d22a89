// GET /settings/callback – back from the identity provider (via next-auth): bind or verify, then the portal.
import { cookies } from "next/headers";
import { auth, signOut } from "@/auth";
import { getConfig } from "@/lib/config";
import { clientIp, userAgent } from "@/lib/http/request";
import { completeIdentity } from "@/lib/links/complete";
import { portalCookieName } from "@/lib/auth/cookies";
import { LINK_PAGE_HEADERS, pages } from "../../_lib/html";
import { withLinkPage } from "../../_lib/link-route";

export const dynamic = "force-dynamic";

const PENDING_COOKIE = "gh_pending";

export const GET = withLinkPage(async (req) => {
  const jar = await cookies();
  const pendingId = jar.get(PENDING_COOKIE)?.value;
  const session = (await auth()) as { settingsSubject?: string; settingsAt?: number } | null;
  // The next-auth session only carried the subject here; it must not outlive this request. signOut clears
  // every chunk with next-auth's own attributes (Secure on https), which a bare delete would not.
  await signOut({ redirect: false });
  jar.set(PENDING_COOKIE, "", { httpOnly: true, sameSite: "lax", path: "/settings", secure: getConfig().secureCookies, maxAge: 0 });
  try {
    const portal = await completeIdentity({
      pendingId,
      subject: session?.settingsSubject,
      signedInAt: session?.settingsAt,
      ip: clientIp(req.headers),
      userAgent: userAgent(req.headers),
      currentSession: jar.get(portalCookieName())?.value,
    });
    jar.set(portalCookieName(), portal.id, { httpOnly: true, sameSite: "lax", path: "/", secure: getConfig().secureCookies, maxAge: portal.maxAgeSeconds });
    return new Response(null, { status: 303, headers: { ...LINK_PAGE_HEADERS, Location: "/settings" } });
  } catch (err) {
    if ((err as { code?: string }).code === "unauthorized") return pages.signInFailed();
    throw err;
  }
});
