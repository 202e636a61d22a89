import "server-only";
import { db } from "../db/client";
import { getPortalSession, type PortalSession } from "./sessions";

export type PortalContext = { session: PortalSession; user: { id: string; name: string }; workspace: { id: string; name: string } };

/** The signed-in portal user, their workspace and session, or null (no, expired or revoked session). */
export async function loadPortalContext(cookieValue: unknown): Promise<PortalContext | null> {
  const session = await getPortalSession(cookieValue);
  if (!session) return null;
  const [user, workspace] = await Promise.all([
    db.user.findUnique({ where: { id: session.userId }, select: { id: true, displayName: true, identities: { select: { platform: true, externalId: true }, take: 1 } } }),
    db.workspace.findUnique({ where: { id: session.workspaceId }, select: { id: true, name: true } }),
  ]);
  if (!user || !workspace) return null;
  const identity = user.identities[0];
  return { session, user: { id: user.id, name: user.displayName ?? (identity ? `${identity.platform} ${identity.externalId}` : "You") }, workspace };
}
