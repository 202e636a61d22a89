import "server-only";
import { getUserSummary } from "../identity/users";
import { getWorkspaceName } from "../workspaces/workspace";
import { getAdminSession, type AdminSession } from "./sessions";

export type AdminContext = { session: AdminSession; role: AdminSession["role"]; user: { id: string; name: string }; workspace: { id: string; name: string } };

/** The signed-in admin for a cookie; `lost_role` when the session just ended because the role or membership went. */
export async function loadAdminContext(cookieValue: unknown): Promise<AdminContext | "lost_role" | null> {
  const session = await getAdminSession(cookieValue);
  if (!session || session === "lost_role") return session;
  const [user, workspaceName] = await Promise.all([getUserSummary(session.userId), getWorkspaceName(session.workspaceId)]);
  if (!user || workspaceName === null) return null;
  return { session, role: session.role, user, workspace: { id: session.workspaceId, name: workspaceName } };
}
