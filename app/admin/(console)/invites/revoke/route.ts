// POST /admin/invites/revoke (form: invite) – end an invite of this workspace at once.
import { isUuid } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { revokeInvite } from "@/lib/invites/manage";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/invites", async ({ form, admin, ip }) => {
  const inviteId = form.get("invite");
  if (!isUuid(inviteId)) throw new AppError("bad_request");
  await revokeInvite({ inviteId, workspaceId: admin.workspace.id, acting: { userId: admin.user.id }, actor: adminActor(admin), ip });
  return "/admin/invites?done=revoked";
});
