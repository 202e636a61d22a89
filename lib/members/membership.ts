import "server-only";
import { db } from "../db/client";

export async function getMembership({ workspaceId, userId }: { workspaceId: string; userId: string }) {
  return db.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
}

/** The user's workspaces, for pickers (Telegram Mini App). */
export async function listMembershipsOfUser({ userId }: { userId: string }) {
  const rows = await db.membership.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, workspace: { select: { id: true, name: true } } },
  });
  return rows.map((r) => ({ workspaceId: r.workspace.id, workspaceName: r.workspace.name, role: r.role }));
}
