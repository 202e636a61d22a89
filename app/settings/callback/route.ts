// GET /settings/callback – back from the identity provider (via next-auth): bind or verify, then the portal.
import { auth, signOut } from "@/auth";
import { adminCookie, pendingCookie, portalCookie } from "@/lib/auth/cookies";
import { completeIdentity } from "@/lib/flows/settings-link";
import { clientIp, userAgent } from "@/lib/http/request";
import { errorPage, withErrorPage } from "../../_lib/error-page";
import { LINK_PAGE_HEADERS } from "../../_lib/html";

export const dynamic = "force-dynamic";

export const GET = withErrorPage(async (req) => {
  const session = (await auth()) as { settingsSubject?: string; settingsAt?: number } | null;
  // The next-auth session only carried the subject here; it must not outlive this request. signOut clears
  // every chunk with next-auth's own attributes (Secure on https), which a bare delete would not.
  await signOut({ redirect: false });
  const headers = new Headers(LINK_PAGE_HEADERS);
  headers.append("Set-Cookie", pendingCookie.clear());
  let response: Response;
  try {
    const portal = await completeIdentity({
      pendingId: pendingCookie.read(req.headers),
      subject: session?.settingsSubject,
      signedInAt: session?.settingsAt,
      ip: clientIp(req.headers),
      userAgent: userAgent(req.headers),
      currentSession: portalCookie.read(req.headers),
      currentAdminSession: adminCookie.read(req.headers),
    });
    headers.set("Location", portal.landing);
    headers.append("Set-Cookie", (portal.cookie === "admin" ? adminCookie : portalCookie).serialize(portal.sessionId, portal.maxAgeSeconds));
    response = new Response(null, { status: 303, headers });
  } catch (err) {
    response = errorPage(err);
    response.headers.append("Set-Cookie", pendingCookie.clear());
  }
  return response;
});
