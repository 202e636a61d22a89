// POST /settings/sign-out – end this browser's session, then say so (/settings/signed-out).
import { portalCookie, typedNameCookie } from "@/lib/auth/cookies";
import { endPortalSessionById } from "@/lib/portal/sessions";
import { withPortalForm } from "../../_lib/portal-form";

export const POST = withPortalForm(async ({ cookie }) => {
  await endPortalSessionById(cookie);
  return { location: "/settings/signed-out", setCookies: [...portalCookie.clear(), typedNameCookie.clear()] };
});
