// GET /api/v1/audit/checkpoints (SPEC §8): a workspace's signed checkpoints, oldest first, keyset on seq, for
// someone outside to keep.
import "server-only";
import { db } from "../db/client";
import { checkInt, MAX_SEQ } from "./filters";

export const CHECKPOINT_PAGE_DEFAULT = 100;
export const CHECKPOINT_PAGE_MAX = 1000;

export type CheckpointView = { workspaceId: string; seq: number; hash: string; signature: string; keyId: string; createdAt: string };

export async function listCheckpoints({ workspaceId, after, limit }: { workspaceId: string; after?: number; limit?: number }): Promise<{ checkpoints: CheckpointView[]; nextAfter: number | null }> {
  const from = checkInt("after", after, 0, MAX_SEQ) ?? 0;
  const take = checkInt("limit", limit, 1, CHECKPOINT_PAGE_MAX) ?? CHECKPOINT_PAGE_DEFAULT;
  const rows = await db.auditCheckpoint.findMany({
    where: { workspaceId, seq: { gt: from } },
    orderBy: { seq: "asc" },
    take: take + 1,
    select: { workspaceId: true, seq: true, hash: true, signature: true, keyId: true, createdAt: true },
  });
  const page = rows.slice(0, take).map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
  return { checkpoints: page, nextAfter: rows.length > take ? page[page.length - 1]!.seq : null };
}
