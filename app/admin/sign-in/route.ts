// POST /admin/sign-in – the admin console's sign-in with the settings identity provider (admin-auth.ts).
import { adminSignIn, ADMIN_PROVIDER_ID } from "@/admin-auth";
import { ADMIN_SIGN_IN_TTL_SECONDS, startAdminSignIn } from "@/lib/admin/pending";
import { authorizeBrowser } from "@/lib/auth/browser";
import { adminSignInCookie } from "@/lib/auth/cookies";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { withErrorPage } from "../../_lib/error-page";

export const dynamic = "force-dynamic";

const budget = { bucket: "admin-sign-in", limit: () => getConfig().rateLimits.linkPerMinute };

export const POST = withErrorPage(async (req) => {
  await authorizeBrowser(req, budget);
  if (!getConfig().settingsOAuth) throw new AppError("not_found");
  const signInId = await startAdminSignIn();
  const location = await adminSignIn(ADMIN_PROVIDER_ID, { redirect: false, redirectTo: "/admin/callback" });
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  headers.append("Set-Cookie", adminSignInCookie.serialize(signInId, ADMIN_SIGN_IN_TTL_SECONDS));
  return new Response(null, { status: 303, headers });
});
