import "server-only";
import type { ActorType } from "@/generated/prisma/client";
import { db, type Tx } from "../db/client";
import { takeAuditLock } from "../db/locks";
import { hashEvent, GENESIS_HASH } from "./canonical";
import { dueCheckpoints, insertCheckpoints, signDueCheckpoints } from "./checkpoint";
import { prismaRunner } from "./checkpoint-window";
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

export type AppendedEvent = { seq: number; hash: string };

// The advisory lock keeps `seq` free of gaps and duplicates across processes. Pass `tx` so the change and its
// audit record commit together or not at all.
export async function appendAuditEvent(input: AuditEventInput, tx?: Tx): Promise<AppendedEvent> {
  if (!tx) return db.$transaction((t) => appendAuditEvent(input, t));

  await takeAuditLock(tx, input.workspaceId);
  const last = await tx.auditEvent.findFirst({
    where: { workspaceId: input.workspaceId },
    orderBy: { seq: "desc" },
    select: { seq: true, hash: true },
  });
  const [row] = chainEvents(input.workspaceId, last, [input]);
  await tx.auditEvent.create({ data: { ...row!, data: row!.data as object }, select: { id: true } });
  const due = dueCheckpoints([row!]);
  if (due.length) await insertCheckpoints(tx, await signDueCheckpoints(prismaRunner(tx), { workspaceId: input.workspaceId, head: last, due }));
  return { seq: row!.seq, hash: row!.hash };
}

export type ChainedRow = {
  workspaceId: string;
  seq: number;
  createdAt: Date;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
};

/** Only under the workspace's lock, with `last` read after it was granted. */
export function chainEvents(workspaceId: string, last: AppendedEvent | null, inputs: AuditEventInput[]): ChainedRow[] {
  const text = (v: string | null | undefined) => (v == null ? null : cleanString(v));
  let seq = last?.seq ?? 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  return inputs.map((input) => {
    if (input.workspaceId !== workspaceId) throw new Error("every event of a chain append must belong to its workspace");
    // Round-trip through JSON so what we hash is exactly what jsonb stores.
    const data = JSON.parse(JSON.stringify(cleanAuditData(input.data ?? {}))) as Record<string, unknown>;
    const event = {
      workspaceId,
      seq: ++seq,
      createdAt: new Date(),
      actorType: input.actor.type,
      actorId: text(input.actor.id),
      action: cleanString(input.action),
      target: text(input.target),
      ip: text(input.ip),
      data,
    };
    const hash = hashEvent(prevHash, event);
    const row = { ...event, prevHash, hash };
    prevHash = hash;
    return row;
  });
}
