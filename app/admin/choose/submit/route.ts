// POST /admin/choose/submit (form: workspace) – an admin of several workspaces opens one.
import { authorizeBrowser } from "@/lib/auth/browser";
import { adminCookie, adminPendingCookie } from "@/lib/auth/cookies";
import { getConfig } from "@/lib/config";
import { chooseAdminWorkspace } from "@/lib/flows/admin-sign-in";
import { readForm } from "@/lib/http/body";
import { withErrorPage } from "../../../_lib/error-page";

export const dynamic = "force-dynamic";

const budget = { bucket: "admin-sign-in", limit: () => getConfig().rateLimits.linkPerMinute };

export const POST = withErrorPage(async (req) => {
  const caller = await authorizeBrowser(req, budget);
  const form = await readForm(req, 1024);
  const session = await chooseAdminWorkspace({ pendingId: adminPendingCookie.read(req.headers), workspaceId: form.get("workspace"), ip: caller.ip, userAgent: caller.userAgent, currentAdminSession: caller.currentAdminSession });
  const headers = new Headers({ Location: "/admin", "Cache-Control": "no-store" });
  headers.append("Set-Cookie", adminPendingCookie.clear());
  headers.append("Set-Cookie", adminCookie.serialize(session.id, session.maxAgeSeconds));
  return new Response(null, { status: 303, headers });
});
