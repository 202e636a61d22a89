// POST /admin/tokens/revoke (form: token = its id) – revoke a service token of this workspace at once.
import { isUuid } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { revokeToken } from "@/lib/jobs/job-tokens";
import { adminActor, withAdminForm } from "../../../../_lib/admin-form";

export const POST = withAdminForm("/admin/tokens", async ({ form, admin, ip }) => {
  const tokenId = form.get("token");
  if (!isUuid(tokenId)) throw new AppError("bad_request");
  await revokeToken({ tokenId, workspaceId: admin.workspace.id, kind: "service", actor: adminActor(admin), ip });
  return "/admin/tokens?done=revoked";
});
