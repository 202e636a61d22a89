// POST /settings/agent-access/revoke (form: jobId) – end one of your running jobs' access at once.
import { revokeJobAccess } from "@/lib/jobs/lifecycle";
import { withPortalForm } from "../../../_lib/portal-form";

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const job = await revokeJobAccess({ workspaceId: portal.workspace.id, userId: portal.user.id, jobId: form.get("jobId") ?? "", ip });
    return `/settings/agent-access?${new URLSearchParams({ revoked: job.jobId })}`;
  },
  // Someone else's job, an unknown id or a malformed one: the same answer, and nothing changed.
  { errorRedirect: (err) => (err.code === "not_found" ? "/settings/agent-access?error=not_found" : null) },
);
