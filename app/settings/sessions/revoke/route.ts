// POST /settings/sessions/revoke (form: ref) – sign out one of your own sessions.
import { revokePortalSession } from "@/lib/portal/sessions";
import { withPortalForm } from "../../../_lib/portal-form";

export const POST = withPortalForm(async ({ form, portal, ip }) => {
  await revokePortalSession({ workspaceId: portal.workspace.id, userId: portal.user.id, ref: form.get("ref") ?? "", ip });
  return "/settings/sessions";
});
