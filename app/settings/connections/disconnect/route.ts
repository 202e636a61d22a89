// POST /settings/connections/disconnect (form: connectionId) – revoke at the provider, then delete.
import { disconnect } from "@/lib/connections/connect";
import { withPortalForm } from "../../../_lib/portal-form";
import { connectionsErrorPath } from "../_errors";
import { revokeMcpConnection } from "../_mcp";

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const { revocation } = await disconnect({
      workspaceId: portal.workspace.id,
      userId: portal.user.id,
      connectionId: form.get("connectionId") ?? "",
      ip,
      revokeMcp: revokeMcpConnection,
    });
    return `/settings/connections?${new URLSearchParams({ disconnected: "1", revocation })}`;
  },
  { errorRedirect: (err) => connectionsErrorPath(err) },
);
