import "server-only";
import type { ActorType } from "@/generated/prisma/client";
import { db } from "../db/client";
import { isUuid } from "../db/sql";

export const ACTIVITY_PAGE_SIZE = 20;
// audit_events.seq is a Postgres int4: a cursor beyond it is no cursor (Prisma would fail the query).
const MAX_SEQ = 2_147_483_647;

/** A keyset cursor from a query string: a whole number in 1..MAX_SEQ, anything else none. */
export function parseSeqCursor(raw: unknown): number | undefined {
  if (typeof raw !== "string" || !/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_SEQ ? n : undefined;
}

export type ActivityEvent = {
  seq: number;
  createdAt: Date;
  action: string;
  actorType: ActorType;
  actorId: string | null;
  target: string | null;
  ip: string | null;
  data: Record<string, unknown>;
};

/**
 * A user's own audit events in one workspace, newest first, keyset-paginated: what they did, what was done to
 * them (`user:<id>` targets), what names them as owner (their secrets, their jobs' creation), and everything about
 * `jobIds`, the jobs they own (its end, its credentials reads, its token rotations and revocations). The caller
 * gets the job ids from the jobs domain; every match is also limited to this workspace.
 */
export async function listUserActivity({
  workspaceId,
  userId,
  jobIds = [],
  beforeSeq,
}: {
  workspaceId: string;
  userId: string;
  jobIds?: string[];
  beforeSeq?: number;
}): Promise<{ events: ActivityEvent[]; nextBefore: number | null }> {
  if (!isUuid(workspaceId) || !isUuid(userId)) return { events: [], nextBefore: null };
  const jobs = jobIds.filter(isUuid);
  const before = beforeSeq !== undefined && Number.isSafeInteger(beforeSeq) && beforeSeq > 0 && beforeSeq <= MAX_SEQ ? beforeSeq : MAX_SEQ + 1;
  const rows = await db.$queryRaw<ActivityEvent[]>`
    SELECT seq, created_at AS "createdAt", action, actor_type::text AS "actorType", actor_id AS "actorId", target, ip, data
    FROM audit_events
    WHERE workspace_id = ${workspaceId}::uuid AND seq < ${before}::bigint
      AND ((actor_type = 'user' AND actor_id = ${userId})
        OR target = ${`user:${userId}`}
        OR data->>'owner' = ${userId}
        OR target = ANY(${jobs.map((id) => `job:${id}`)}::text[])
        OR (actor_type = 'job' AND actor_id = ANY(${jobs}::text[]))
        OR (action LIKE 'token.%' AND data->>'jobId' = ANY(${jobs}::text[])))
    ORDER BY seq DESC
    LIMIT ${ACTIVITY_PAGE_SIZE + 1}`;
  const events = rows.slice(0, ACTIVITY_PAGE_SIZE);
  return { events, nextBefore: rows.length > ACTIVITY_PAGE_SIZE ? events[events.length - 1]!.seq : null };
}

/** The user's portal sign-ins in this workspace (every method records one), newest first, at most `limit`. */
export async function listSignIns({ workspaceId, userId, limit = 2 }: { workspaceId: string; userId: string; limit?: number }) {
  const rows = await db.auditEvent.findMany({
    where: { workspaceId, target: `user:${userId}`, action: "portal.session.created" },
    orderBy: { seq: "desc" },
    take: limit,
    select: { createdAt: true, ip: true, data: true },
  });
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return rows.map((r) => {
    const data = r.data as Record<string, unknown>;
    return { at: r.createdAt, ip: r.ip, method: text(data.method), session: text(data.session) };
  });
}

/** When each user last did something in the workspace (as a portal user or an admin), for the admin Members page. */
export async function lastActivityOf({ workspaceId, userIds }: { workspaceId: string; userIds: string[] }): Promise<Map<string, Date>> {
  const ids = userIds.filter(isUuid);
  if (!isUuid(workspaceId) || ids.length === 0) return new Map();
  const rows = await db.$queryRaw<{ actorId: string; at: Date }[]>`
    SELECT actor_id AS "actorId", max(created_at) AS at FROM audit_events
    WHERE workspace_id = ${workspaceId}::uuid AND actor_type IN ('user', 'admin') AND actor_id = ANY(${ids}::text[])
    GROUP BY actor_id`;
  return new Map(rows.map((r) => [r.actorId, r.at]));
}
