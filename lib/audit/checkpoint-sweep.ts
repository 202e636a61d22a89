// "At least hourly while it has new events" (SPEC §8): a workspace whose oldest unsigned event is an hour old gets
// its head signed. Every instance runs the sweep; they agree through the audit lock and the (workspace, seq) key.
import "server-only";
import { db } from "../db/client";
import { takeAuditLock } from "../db/locks";
import { log } from "../log";
import { signDueCheckpoints, signingIdentity } from "./checkpoint";
import { prismaRunner } from "./checkpoint-window";

export const CHECKPOINT_MAX_AGE_MS = 3600_000;
const SWEEP_INTERVAL_MS = 5 * 60_000;

export type SweepResult = { workspaces: number; checkpointed: { workspaceId: string; seq: number }[]; refused: string[] };

/** The head of every workspace whose first event after its latest checkpoint is at least `maxAgeMs` old. */
export async function runCheckpointSweep({ now = new Date(), maxAgeMs = CHECKPOINT_MAX_AGE_MS }: { now?: Date; maxAgeMs?: number } = {}): Promise<SweepResult> {
  if (!signingIdentity()) return { workspaces: 0, checkpointed: [], refused: [] };
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
  const refused: string[] = [];
  for (const { id } of candidates) {
    const r = await checkpointHead(id);
    if (r.signed) checkpointed.push({ workspaceId: id, seq: r.seq });
    else if (r.reason === "refused") refused.push(id);
  }
  return { workspaces: candidates.length, checkpointed, refused };
}

export type HeadResult =
  | { signed: true; seq: number }
  /** already_signed: nothing after the last checkpoint; refused: the rows since it do not recompute (logged). */
  | { signed: false; reason: "no_key" | "no_events" | "already_signed" | "refused" };

/** Under the workspace's audit lock the head is committed and final. */
export async function checkpointHead(workspaceId: string): Promise<HeadResult> {
  return db.$transaction(async (tx) => {
    await takeAuditLock(tx, workspaceId);
    if (!signingIdentity()) return { signed: false, reason: "no_key" };
    const head = await tx.auditEvent.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
    if (!head) return { signed: false, reason: "no_events" };
    const latest = await tx.auditCheckpoint.findFirst({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true } });
    if (latest && latest.seq >= head.seq) return { signed: false, reason: "already_signed" };
    const [signed] = await signDueCheckpoints(prismaRunner(tx), { workspaceId, head, due: [{ workspaceId, ...head }] });
    if (!signed) return { signed: false, reason: "refused" };
    const { count } = await tx.auditCheckpoint.createMany({ data: [signed], skipDuplicates: true });
    return count === 1 ? { signed: true, seq: head.seq } : { signed: false, reason: "already_signed" };
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
