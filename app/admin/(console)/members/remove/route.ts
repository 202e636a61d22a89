// POST /admin/members/remove (form: user) – remove a member; their sessions and running jobs end at once.
import { removeMember } from "@/lib/flows/member-removal";
import { isUuid } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/members", async ({ form, admin, ip }) => {
  const userId = form.get("user");
  if (!isUuid(userId)) throw new AppError("bad_request");
  await removeMember({ workspaceId: admin.workspace.id, userId, acting: { userId: admin.user.id }, actor: adminActor(admin), ip });
  return "/admin/members?done=removed";
});
