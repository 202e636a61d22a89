// POST /admin/members/role (form: user, role) – change a member's role (lib/permissions decides who may).
import { changeMemberRole } from "@/lib/flows/member-removal";
import { isUuid } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { isRole } from "@/lib/members/roles";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/members", async ({ form, admin, ip }) => {
  const userId = form.get("user");
  const role = form.get("role");
  if (!isUuid(userId) || !isRole(role)) throw new AppError("bad_request");
  await changeMemberRole({ workspaceId: admin.workspace.id, userId, role, acting: { userId: admin.user.id }, actor: adminActor(admin), ip });
  return "/admin/members?done=role_changed";
});
