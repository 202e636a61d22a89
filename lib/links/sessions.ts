import "server-only";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit";
import { getConfig } from "../config";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { AppError } from "../errors";
import { getMembership } from "../members/membership";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { parseRecord } from "../redis/record";
import { uuidSchema } from "../db/sql";

export const LINK_PURPOSES = ["settings"] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

const linkRecord = z.object({
  workspaceId: uuidSchema,
  userId: uuidSchema,
  purpose: z.enum(LINK_PURPOSES),
  context: z.record(z.string(), z.string()).default({}),
  createdAt: z.string(),
  expiresAt: z.string(),
});
export type LinkSession = z.infer<typeof linkRecord>;

/** Only SHA-256(id) is stored; the id is returned once, in the URL, and never logged or audited (SPEC §3). */
export async function createLinkSession({
  workspaceId,
  userId,
  purpose,
  context = {},
  actor,
}: {
  workspaceId: string;
  userId: string;
  purpose: LinkPurpose;
  context?: Record<string, string>;
  actor: AuditActor;
}): Promise<{ id: string; url: string; expiresAt: Date }> {
  if (!(await getMembership({ workspaceId, userId }))) throw new AppError("not_a_member");
  const config = getConfig();
  const id = generateOpaqueId();
  const idHash = sha256Hex(id);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + config.ttl.linkSeconds * 1000);
  const record: LinkSession = { workspaceId, userId, purpose, context, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() };
  await redis.set(redisKeys.linkSession(idHash), JSON.stringify(record), "EX", config.ttl.linkSeconds, "NX");
  // A short hash prefix: enough to correlate opened/rejected events.
  await appendAuditEvent({ workspaceId, actor, action: "link.created", target: `user:${userId}`, data: { purpose, link: idHash.slice(0, 16) } });
  const url = new URL("/settings", config.publicUrl);
  url.searchParams.set("s", id);
  return { id, url: url.toString(), expiresAt };
}

function liveRecord(raw: string | null): LinkSession | null {
  const record = parseRecord(linkRecord, raw);
  return record && Date.parse(record.expiresAt) > Date.now() ? record : null;
}

/** Never consumes: link-preview bots fetch the page first. */
export async function peekLinkSession(id: unknown): Promise<(LinkSession & { idHash: string }) | null> {
  if (!isOpaqueId(id)) return null;
  const idHash = sha256Hex(id);
  const record = liveRecord(await redis.get(redisKeys.linkSession(idHash)));
  return record ? { ...record, idHash } : null;
}

/** GETDEL: of any number of concurrent callers, exactly one gets the record. */
export async function consumeLinkSession(id: unknown): Promise<(LinkSession & { idHash: string }) | null> {
  if (!isOpaqueId(id)) return null;
  const idHash = sha256Hex(id);
  const record = liveRecord(await redis.getdel(redisKeys.linkSession(idHash)));
  return record ? { ...record, idHash } : null;
}
