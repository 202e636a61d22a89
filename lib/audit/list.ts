import "server-only";
import { db } from "../db/client";

export const ACTIVITY_PAGE_SIZE = 20;
// audit_events.seq is a Postgres int4: a cursor beyond it is no cursor (Prisma would fail the query).
const MAX_SEQ = 2_147_483_647;

/** A keyset cursor from a query string: a whole number in 1..MAX_SEQ, anything else none. */
export function parseSeqCursor(raw: unknown): number | undefined {
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_SEQ ? n : undefined;
}

/** A user's own audit events in one workspace (by them or about them), newest first, keyset-paginated. */
export async function listUserActivity({ workspaceId, userId, beforeSeq }: { workspaceId: string; userId: string; beforeSeq?: number }) {
  const rows = await db.auditEvent.findMany({
    where: {
      workspaceId,
      OR: [{ actorType: "user", actorId: userId }, { target: `user:${userId}` }],
      ...(beforeSeq !== undefined && Number.isSafeInteger(beforeSeq) && beforeSeq > 0 && beforeSeq <= MAX_SEQ ? { seq: { lt: beforeSeq } } : {}),
    },
    orderBy: { seq: "desc" },
    take: ACTIVITY_PAGE_SIZE + 1,
    select: { seq: true, createdAt: true, action: true, actorType: true, ip: true, data: true },
  });
  const events = rows.slice(0, ACTIVITY_PAGE_SIZE);
  return { events, nextBefore: rows.length > ACTIVITY_PAGE_SIZE ? events[events.length - 1]!.seq : null };
}
