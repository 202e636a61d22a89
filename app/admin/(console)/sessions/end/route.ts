// POST /admin/sessions/end (form: kind portal|admin, ref) – end any session of this workspace.
import { revokeAdminSession } from "@/lib/admin/sessions";
import { endWorkspacePortalSession } from "@/lib/portal/sessions";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/sessions", async ({ form, admin, ip }) => {
  const args = { workspaceId: admin.workspace.id, ref: form.get("ref") ?? "", actor: adminActor(admin), ip };
  const kind = form.get("kind");
  const ended = kind === "admin" ? await revokeAdminSession(args) : kind === "portal" ? await endWorkspacePortalSession(args) : false;
  return ended ? "/admin/sessions?done=ended" : "/admin/sessions?error=not_found";
});
