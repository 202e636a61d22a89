import "server-only";
import type { ActorType } from "@/generated/prisma/client";
import { db, type Tx } from "../db";
import { hashEvent, GENESIS_HASH } from "./canonical";
import { cleanAuditData, cleanString } from "./sanitize";

export type AuditActor = { type: ActorType; id?: string | null };

export type AuditEventInput = {
  workspaceId: string;
  actor: AuditActor;
  action: string;
  target?: string | null;
  ip?: string | null;
  data?: Record<string, unknown>;
};

/**
 * Appends one event to the workspace's chain. Appends are serialised per workspace by a transaction-scoped
 * advisory lock, so `seq` has no gaps or duplicates even across processes. Pass `tx` to make the event part
 * of the caller's transaction: the change and its audit record commit together or not at all.
 */
export async function appendAuditEvent(input: AuditEventInput, tx?: Tx): Promise<{ seq: number; hash: string }> {
  if (!tx) return db.$transaction((t) => appendAuditEvent(input, t));

  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${"audit:" + input.workspaceId}, 0))`;
  const last = await tx.auditEvent.findFirst({
    where: { workspaceId: input.workspaceId },
    orderBy: { seq: "desc" },
    select: { seq: true, hash: true },
  });
  // Round-trip through JSON so what we hash is exactly what jsonb stores.
  const data = JSON.parse(JSON.stringify(cleanAuditData(input.data ?? {}))) as Record<string, unknown>;
  const text = (v: string | null | undefined) => (v == null ? null : cleanString(v));
  const event = {
    workspaceId: input.workspaceId,
    seq: (last?.seq ?? 0) + 1,
    createdAt: new Date(),
    actorType: input.actor.type,
    actorId: text(input.actor.id),
    action: cleanString(input.action),
    target: text(input.target),
    ip: text(input.ip),
    data,
  };
  const prevHash = last?.hash ?? GENESIS_HASH;
  const hash = hashEvent(prevHash, event);
  return tx.auditEvent.create({
    data: { ...event, data: event.data as object, prevHash, hash },
    select: { seq: true, hash: true },
  });
}
