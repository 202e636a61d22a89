import "server-only";
import { loadAdminContext, type AdminContext } from "../admin/context";
import { AppError } from "../errors";
import { assertSameOrigin, clientIp } from "../http/request";
import { adminCookie } from "./cookies";
import { stringParams, withJsonErrors, type Params } from "./wrap";

export type { AdminContext };

/** The admin for these request headers, or the error that refuses them: 401 without a session, 403 when the role went. */
export async function requireAdminContext(headers: Headers): Promise<AdminContext> {
  const admin = await loadAdminContext(adminCookie.read(headers));
  if (admin === "lost_role") throw new AppError("forbidden", "You are no longer an owner or admin of this workspace.", { reason: "not_admin" });
  if (!admin) throw new AppError("unauthorized", "Your admin session has ended. Sign in to the admin console again.", { reason: "no_admin_session" });
  return admin;
}

/** Admin JSON API: the admin session cookie; state-changing methods must come from our own origin. */
export function withAdmin(handler: (req: Request, ctx: { admin: AdminContext; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    if (req.method !== "GET" && req.method !== "HEAD") assertSameOrigin(req.headers);
    const admin = await requireAdminContext(req.headers);
    return handler(req, { admin, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: false });
}
