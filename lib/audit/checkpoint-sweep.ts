// "At least hourly while it has new events" (SPEC §8): a workspace whose oldest unsigned event is an hour old gets
// its head signed. Every instance runs the sweep; they agree through the audit lock and the (workspace, seq) key.
import "server-only";
import { db } from "../db/client";
import { takeAuditLock } from "../db/locks";
import { log } from "../log";
import { signCheckpoint, signingIdentity } from "./checkpoint";

export const CHECKPOINT_MAX_AGE_MS = 3600_000;
const SWEEP_INTERVAL_MS = 5 * 60_000;

export type SweepResult = { workspaces: number; checkpointed: { workspaceId: string; seq: number }[] };

/** The head of every workspace whose first event after its latest checkpoint is at least `maxAgeMs` old. */
export async function runCheckpointSweep({ now = new Date(), maxAgeMs = CHECKPOINT_MAX_AGE_MS }: { now?: Date; maxAgeMs?: number } = {}): Promise<SweepResult> {
  if (!signingIdentity()) return { workspaces: 0, checkpointed: [] };
  const due = new Date(now.getTime() - maxAgeMs);
  // One indexed probe per workspace: its latest checkpoint, then the event right after it.
  const candidates = await db.$queryRaw<{ id: string }[]>`
    SELECT w.id::text AS id
    FROM workspaces w
    LEFT JOIN LATERAL (SELECT c.seq FROM audit_checkpoints c WHERE c.workspace_id = w.id ORDER BY c.seq DESC LIMIT 1) c ON true
    JOIN audit_events e ON e.workspace_id = w.id AND e.seq = COALESCE(c.seq, 0) + 1
    WHERE e.created_at <= ${due}
    ORDER BY w.id`;
  const checkpointed: SweepResult["checkpointed"] = [];
  for (const { id } of candidates) {
    const seq = await checkpointHead(id);
    if (seq !== null) checkpointed.push({ workspaceId: id, seq });
  }
  return { workspaces: candidates.length, checkpointed };
}

/** Under the workspace's audit lock the head is committed and final; null when it is already signed. */
export async function checkpointHead(workspaceId: string): Promise<number | null> {
  return db.$transaction(async (tx) => {
    await takeAuditLock(tx, workspaceId);
    const head = await tx.auditEvent.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
    if (!head) return null;
    const latest = await tx.auditCheckpoint.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true } });
    if (latest && latest.seq >= head.seq) return null;
    const signed = signCheckpoint({ workspaceId, seq: head.seq, hash: head.hash });
    if (!signed) return null;
    const { count } = await tx.auditCheckpoint.createMany({ data: [signed], skipDuplicates: true });
    return count === 1 ? head.seq : null;
  });
}

let timer: ReturnType<typeof setInterval> | undefined;
let running = false;

/** From the server process (instrumentation.ts): never keeps it alive, never throws into it. */
export function startCheckpointSweeps(): void {
  if (timer || !signingIdentity()) return;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      await runCheckpointSweep();
    } catch (err) {
      log.warn({ err }, "audit checkpoint sweep failed; the next one retries");
    } finally {
      running = false;
    }
  };
  timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();
  setTimeout(() => void sweep(), 30_000).unref();
}
