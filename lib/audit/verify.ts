import "server-only";
import { db } from "../db/client";
import { AppError } from "../errors";
import { GENESIS_HASH, hashEvent } from "./canonical";

export type VerifyResult = { ok: boolean; events: number; brokenAt?: number; workspaceId?: string };

const BATCH = 1000;

/** Recomputes a workspace's chain from seq 1 and names the first seq that does not fit. */
export async function verifyAuditChain({ workspaceId }: { workspaceId: string }): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: { workspaceId, seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: BATCH,
    });
    for (const row of rows) {
      const recomputed = hashEvent(prevHash, row);
      if (row.seq !== expectedSeq || row.prevHash !== prevHash || row.hash !== recomputed) {
        return { ok: false, events, brokenAt: expectedSeq, workspaceId };
      }
      events += 1;
      prevHash = row.hash;
      expectedSeq += 1;
    }
    if (rows.length < BATCH) {
      // Every workspace starts its chain when it is created, so an empty chain means rows were removed.
      return events === 0 ? { ok: false, events, brokenAt: 1, workspaceId } : { ok: true, events, workspaceId };
    }
  }
}

/** Verifies every workspace (or one); stops at the first broken chain. */
export async function verifyAudit({ workspaceId }: { workspaceId?: string } = {}): Promise<VerifyResult> {
  if (workspaceId && !(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
    throw new AppError("not_found", "No such workspace.");
  }
  const ids = workspaceId
    ? [workspaceId]
    : (await db.workspace.findMany({ select: { id: true }, orderBy: { createdAt: "asc" } })).map((w) => w.id);
  let events = 0;
  for (const id of ids) {
    const result = await verifyAuditChain({ workspaceId: id });
    events += result.events;
    if (!result.ok) return { ok: false, events, brokenAt: result.brokenAt, workspaceId: id };
  }
  return workspaceId ? { ok: true, events, workspaceId } : { ok: true, events };
}
