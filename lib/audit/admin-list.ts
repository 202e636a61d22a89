// The admin console's audit page (SPEC §13): filtered, newest first, keyset-paginated on seq, plus the chain and
// checkpoint status shown beside it.
import "server-only";
import type { ActorType } from "@/generated/prisma/client";
import { db } from "../db/client";
import { isUuid } from "../db/sql";
import { checkFilters, checkInt, filterSql, MAX_SEQ, type AuditFilters } from "./filters";

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

export type AuditEventView = {
  seq: number;
  createdAt: Date;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  hash: string;
};

export type ListAuditEventsInput = AuditFilters & { workspaceId: string; beforeSeq?: number; limit?: number };

/** Throws AppError("validation_failed") with details.fields for any bad filter, cursor or limit. */
export async function listAuditEvents(input: ListAuditEventsInput): Promise<{ events: AuditEventView[]; nextBefore: number | null }> {
  const { workspaceId, beforeSeq, limit, ...rest } = input;
  const filters = checkFilters(rest);
  const before = checkInt("beforeSeq", beforeSeq, 1, MAX_SEQ) ?? MAX_SEQ + 1;
  const take = checkInt("limit", limit, 1, AUDIT_PAGE_MAX) ?? AUDIT_PAGE_DEFAULT;
  if (!isUuid(workspaceId)) return { events: [], nextBefore: null };
  const rows = await db.$queryRaw<AuditEventView[]>`
    SELECT seq, created_at AS "createdAt", actor_type::text AS "actorType", actor_id AS "actorId", action, target, ip, data, hash
    FROM audit_events
    WHERE workspace_id = ${workspaceId}::uuid AND seq < ${before}::bigint${filterSql(filters)}
    ORDER BY seq DESC
    LIMIT ${take + 1}`;
  const events = rows.slice(0, take);
  return { events, nextBefore: rows.length > take ? events[events.length - 1]!.seq : null };
}

/** For a progress indication next to an export. */
export async function countAuditEvents({ workspaceId, filters = {} }: { workspaceId: string; filters?: AuditFilters }): Promise<number> {
  const checked = checkFilters(filters);
  if (!isUuid(workspaceId)) return 0;
  const [row] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM audit_events WHERE workspace_id = ${workspaceId}::uuid${filterSql(checked)}`;
  return Number(row?.n ?? 0);
}
