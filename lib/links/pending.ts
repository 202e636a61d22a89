import "server-only";
import { z } from "zod";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { parseRecord } from "../redis/record";
import { uuidSchema } from "../db/sql";

/** How long a person has to finish signing in at the identity provider after pressing Continue. */
export const PENDING_TTL_SECONDS = 600;

// `purpose` and `section` as the link stored them (lib/links/purpose.ts parses them back), so the callback lands there.
const pendingRecord = z.object({
  workspaceId: uuidSchema,
  userId: uuidSchema,
  link: z.string(),
  purpose: z.string().max(4096),
  section: z.string().max(64).optional(),
  createdAt: z.number(),
});
export type PendingIdentity = z.infer<typeof pendingRecord>;

/** Short-lived server-side state between a consumed link and the identity provider's callback. */
export async function createPendingIdentity(record: Omit<PendingIdentity, "createdAt">): Promise<string> {
  const id = generateOpaqueId();
  await redis.set(redisKeys.oauthPending(sha256Hex(id)), JSON.stringify({ ...record, createdAt: Date.now() }), "EX", PENDING_TTL_SECONDS);
  return id;
}

/** One-time: the callback consumes it atomically, so a replayed callback finds nothing. */
export async function consumePendingIdentity(id: unknown): Promise<PendingIdentity | null> {
  if (!isOpaqueId(id)) return null;
  const raw = await durably((r) => r.getdel(redisKeys.oauthPending(sha256Hex(id))));
  return parseRecord(pendingRecord, raw);
}
