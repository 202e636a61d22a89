// POST /settings/connections/mcp (form: server) – Add MCP server / Sign in again: discovery, registration, then
// straight to the server's authorization server (SPEC §12). Each start makes several outbound requests (and may
// register Gatehouse at a new issuer), so a person gets a bounded number of them.
import { AppError } from "@/lib/errors";
import { startMcpLogin } from "@/lib/mcp";
import { takeSlidingSlot } from "@/lib/ratelimit/sliding-window";
import { withPortalForm } from "../../../_lib/portal-form";
import { connectionsErrorPath } from "../_errors";

const MCP_STARTS_PER_10_MINUTES = 20;

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const slot = await takeSlidingSlot({ bucket: "mcp-login", subject: `${portal.workspace.id}:${portal.user.id}`, windowSeconds: 600, limit: MCP_STARTS_PER_10_MINUTES });
    if (!slot.allowed) throw new AppError("rate_limited", undefined, { headers: { "Retry-After": String(slot.retryAfterSeconds) } });
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
