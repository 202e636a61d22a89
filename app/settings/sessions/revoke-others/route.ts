// POST /settings/sessions/revoke-others – sign out everywhere except this browser.
import { revokeOtherPortalSessions } from "@/lib/portal/sessions";
import { withPortalForm } from "../../../_lib/portal-form";

export const POST = withPortalForm(async ({ portal, ip }) => {
  await revokeOtherPortalSessions({ workspaceId: portal.workspace.id, userId: portal.user.id, keepRef: portal.session.ref, ip });
  return "/settings/sessions";
});
