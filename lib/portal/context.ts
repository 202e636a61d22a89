import "server-only";
import { getUserSummary } from "../identity/users";
import { getWorkspaceName } from "../workspaces/workspace";
import { getPortalSession, type PortalSession } from "./sessions";

export type PortalContext = { session: PortalSession; user: { id: string; name: string }; workspace: { id: string; name: string } };

export async function loadPortalContext(cookieValue: unknown): Promise<PortalContext | null> {
  const session = await getPortalSession(cookieValue);
  if (!session) return null;
  const [user, workspaceName] = await Promise.all([getUserSummary(session.userId), getWorkspaceName(session.workspaceId)]);
  if (!user || workspaceName === null) return null;
  return { session, user, workspace: { id: session.workspaceId, name: workspaceName } };
}
