// POST /admin/jobs/revoke (form: job) – end a running job of this workspace and every token of it.
import { revokeJob } from "@/lib/jobs/lifecycle";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/jobs", async ({ form, admin, ip }) => {
  await revokeJob({ workspaceId: admin.workspace.id, jobId: form.get("job") ?? "", actor: adminActor(admin), ip });
  return "/admin/jobs?done=revoked";
});
