// GET /admin/callback – back from the identity provider: an admin session for a bound owner or admin.
import { adminAuth, adminSignOut } from "@/admin-auth";
import { adminCookie, adminPendingCookie, adminSignInCookie } from "@/lib/auth/cookies";
import { ADMIN_PENDING_TTL_SECONDS } from "@/lib/admin/pending";
import { completeAdminSignIn } from "@/lib/flows/admin-sign-in";
import { clientIp, userAgent } from "@/lib/http/request";
import { errorPage, withErrorPage } from "../../_lib/error-page";

export const dynamic = "force-dynamic";

export const GET = withErrorPage(async (req) => {
  const session = (await adminAuth()) as { adminSubject?: string; adminAt?: number } | null;
  // The next-auth session only carried the subject here; it must not outlive this request.
  await adminSignOut({ redirect: false });
  const headers = new Headers({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
  headers.append("Set-Cookie", adminSignInCookie.clear());
  try {
    const result = await completeAdminSignIn({
      signInId: adminSignInCookie.read(req.headers),
      subject: session?.adminSubject,
      signedInAt: session?.adminAt,
      ip: clientIp(req.headers),
      userAgent: userAgent(req.headers),
      currentAdminSession: adminCookie.read(req.headers),
    });
    if (result.next === "session") {
      headers.set("Location", "/admin");
      headers.append("Set-Cookie", adminCookie.serialize(result.sessionId, result.maxAgeSeconds));
    } else {
      headers.set("Location", "/admin/choose");
      headers.append("Set-Cookie", adminPendingCookie.serialize(result.pendingId, ADMIN_PENDING_TTL_SECONDS));
    }
    return new Response(null, { status: 303, headers });
  } catch (err) {
    const page = errorPage(err);
    page.headers.append("Set-Cookie", adminSignInCookie.clear());
    return page;
  }
});
