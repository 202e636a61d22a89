// POST /admin/sign-out – ends this browser's admin session.
import { adminCookie } from "@/lib/auth/cookies";
import { endAdminSessionById } from "@/lib/admin/sessions";
import { assertSameOrigin } from "@/lib/http/request";
import { withErrorPage } from "../../_lib/error-page";

export const POST = withErrorPage(async (req) => {
  assertSameOrigin(req.headers);
  await endAdminSessionById(adminCookie.read(req.headers));
  const headers = new Headers({ Location: "/admin", "Cache-Control": "no-store" });
  headers.append("Set-Cookie", adminCookie.clear());
  return new Response(null, { status: 303, headers });
});
