// POST /admin/members/handover (form: user) – an owner makes another member owner and becomes an admin.
import { isUuid } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { transferOwnership } from "@/lib/members/roles";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/members", async ({ form, admin, ip }) => {
  const userId = form.get("user");
  if (!isUuid(userId)) throw new AppError("bad_request");
  await transferOwnership({ workspaceId: admin.workspace.id, fromUserId: admin.user.id, toUserId: userId, actor: adminActor(admin), ip });
  return "/admin/members?done=handed_over";
});
