import "server-only";
import { db } from "../db/client";
import { peekLinkSession } from "./sessions";

/** What the interstitial shows: whose settings and which workspace. Null for unknown/used/expired links. */
export async function describeLinkSession(id: unknown) {
  const link = await peekLinkSession(id);
  if (!link) return null;
  const [user, workspace] = await Promise.all([
    db.user.findUnique({ where: { id: link.userId }, select: { displayName: true, identities: { select: { platform: true, externalId: true }, take: 1 } } }),
    db.workspace.findUnique({ where: { id: link.workspaceId }, select: { name: true } }),
  ]);
  if (!user || !workspace) return null;
  const identity = user.identities[0];
  const userName = user.displayName ?? (identity ? `${identity.platform} user ${identity.externalId}` : "this user");
  return { userName, workspaceName: workspace.name, expiresAt: new Date(link.expiresAt) };
}
