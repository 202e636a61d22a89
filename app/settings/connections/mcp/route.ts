// POST /settings/connections/mcp (form: server) – Add MCP server / Sign in again: discovery, registration, then
// straight to the server's authorization server (SPEC §12).
import { startMcpLogin } from "@/lib/mcp";
import { withPortalForm } from "../../../_lib/portal-form";
import { connectionsErrorPath } from "../_errors";

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const { authorizationUrl } = await startMcpLogin({
      workspaceId: portal.workspace.id,
      userId: portal.user.id,
      sessionRef: portal.session.ref,
      serverUrl: form.get("server") ?? "",
      ip,
    });
    return authorizationUrl;
  },
  { errorRedirect: (err) => connectionsErrorPath(err) },
);
