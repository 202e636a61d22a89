import "server-only";
import { db } from "../db/client";

export const ACTIVITY_PAGE_SIZE = 20;

/** A user's own audit events in one workspace (by them or about them), newest first, keyset-paginated. */
export async function listUserActivity({ workspaceId, userId, beforeSeq }: { workspaceId: string; userId: string; beforeSeq?: number }) {
  const rows = await db.auditEvent.findMany({
    where: {
      workspaceId,
      OR: [{ actorType: "user", actorId: userId }, { target: `user:${userId}` }],
      ...(beforeSeq ? { seq: { lt: beforeSeq } } : {}),
    },
    orderBy: { seq: "desc" },
    take: ACTIVITY_PAGE_SIZE + 1,
    select: { seq: true, createdAt: true, action: true, actorType: true, ip: true, data: true },
  });
  const events = rows.slice(0, ACTIVITY_PAGE_SIZE);
  return { events, nextBefore: rows.length > ACTIVITY_PAGE_SIZE ? events[events.length - 1]!.seq : null };
}
