// POST /settings/connections/connect (form: provider) – Connect or Reconnect: straight to the provider's authorization.
import { startProviderConnect } from "@/lib/connections/connect";
import { PROVIDER_ID_PATTERN } from "@/lib/links/purpose";
import { AppError } from "@/lib/errors";
import { withPortalForm } from "../../../_lib/portal-form";
import { connectionsErrorPath } from "../_errors";

export const POST = withPortalForm(
  async ({ form, portal }) => {
    const providerId = form.get("provider") ?? "";
    if (!PROVIDER_ID_PATTERN.test(providerId)) throw new AppError("not_found");
    const { authorizationUrl } = await startProviderConnect({
      portal: { workspaceId: portal.workspace.id, userId: portal.user.id, sessionRef: portal.session.ref },
      providerId,
    });
    return authorizationUrl;
  },
  { errorRedirect: (err) => connectionsErrorPath(err) },
);
