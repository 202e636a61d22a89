// POST /settings/secrets/delete (form: name) – delete one of your secrets, after the page's confirmation step.
import { deleteSecret } from "@/lib/secrets/store";
import { withPortalForm } from "../../../_lib/portal-form";
import { secretsPageUrl } from "../_status";

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const owner = { workspaceId: portal.workspace.id, userId: portal.user.id };
    const name = form.get("name") ?? "";
    await deleteSecret({ ...owner, name, actor: { type: "user", id: owner.userId }, ip });
    return secretsPageUrl({ deleted: name });
  },
  {
    // Already deleted (a second tab, a double submit) or never a valid name: say so, change nothing.
    errorRedirect: (err) => (err.code === "not_found" || err.code === "validation_failed" ? secretsPageUrl({ error: "not_found" }) : null),
  },
);
