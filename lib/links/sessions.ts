import "server-only";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit";
import { getConfig } from "../config";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { AppError } from "../errors";
import { getMembership } from "../members/membership";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { parseRecord } from "../redis/record";
import { uuidSchema } from "../db/sql";
import { parsePurpose, purposeName, type LinkPurpose } from "./purpose";

const linkRecord = z.object({
  workspaceId: uuidSchema,
  userId: uuidSchema,
  purpose: z.string().max(4096),
  section: z.string().max(64).optional(),
  /** "telegram": sent as a `web_app` button, so only Telegram's signed word for the owner opens it. */
  opener: z.literal("telegram").optional(),
  createdAt: z.string(),
  expiresAt: z.string(),
});
type LinkRecord = z.infer<typeof linkRecord>;

export type LinkSession = Omit<LinkRecord, "purpose" | "section"> & { purpose: LinkPurpose; idHash: string };

// The pointer is "<created ms>:<id hash>" and only moves forward in creation time: should a delivery outlive its
// lock (lib/gateway), an older link activating late cannot displace a newer one.
const ACTIVATE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local t = tonumber(string.match(cur, '^(%d+):'))
  if t and t > tonumber(ARGV[1]) then return {0, cur} end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return {1, cur or false}`;

/** The key naming one (workspace, user, purpose); a section is not part of it, so any settings link ends the last. */
export function purposeDigest({ workspaceId, userId, purpose }: { workspaceId: string; userId: string; purpose: LinkPurpose }) {
  return sha256Hex(`${workspaceId}\u0000${userId}\u0000${purposeName(purpose)}`);
}

export type PreparedLink = {
  /** The raw id: it goes into `url` and nowhere else (no log, no audit, no response of the gateway). */
  id: string;
  idHash: string;
  url: string;
  expiresAt: Date;
  /** Audits `link.created`, then makes this the one link of its purpose that opens, ending the earlier ones. */
  activate: (actor: AuditActor, ip?: string | null) => Promise<void>;
  /** Nobody received it: it never opens. */
  discard: () => Promise<void>;
};

/**
 * A stored link that does not open yet: the gateway delivers it first and activates it only once the owner has it,
 * so a failed delivery neither ends the owner's earlier link nor leaves an unaudited one. Only SHA-256(id) is
 * stored; the id is returned once, in the URL (SPEC §3).
 */
export async function prepareLinkSession({
  workspaceId,
  userId,
  purpose,
  opener,
}: {
  workspaceId: string;
  userId: string;
  purpose: LinkPurpose;
  opener?: "telegram";
}): Promise<PreparedLink> {
  if (!(await getMembership({ workspaceId, userId }))) throw new AppError("not_a_member");
  const config = getConfig();
  const id = generateOpaqueId();
  const idHash = sha256Hex(id);
  // Redis's clock orders links (the newest-link pointer) and dates them (initData must be younger): one clock for
  // every instance and the CLI, whatever theirs say.
  const latestKey = redisKeys.linkLatest(purposeDigest({ workspaceId, userId, purpose }));
  // Read on the node that holds the pointer (a Cluster's nodes each have their own clock): a script, not TIME.
  const [seconds, micros] = (await redis.eval("return redis.call('TIME')", 1, latestKey)) as [string, string];
  const now = new Date(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
  const ttl = config.ttl.linkSeconds;
  const expiresAt = new Date(now.getTime() + ttl * 1000);
  const record: LinkRecord = {
    workspaceId,
    userId,
    purpose: purposeName(purpose),
    ...(purpose.kind === "settings" && purpose.section ? { section: purpose.section } : {}),
    ...(opener ? { opener } : {}),
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  };
  await redis.set(redisKeys.linkSession(idHash), JSON.stringify(record), "EX", ttl, "NX");
  const url = new URL("/settings", config.publicUrl);
  url.searchParams.set("s", id);
  return {
    id,
    idHash,
    url: url.toString(),
    expiresAt,
    activate: async (actor, ip) => {
      // A short prefix of the id's hash (never of the id): enough to correlate opened/rejected events.
      await appendAuditEvent({ workspaceId, actor, action: "link.created", target: `user:${userId}`, ip, data: { purpose: purposeName(purpose), link: idHash.slice(0, 16) } });
      await durably(async (r) => {
        const [replaced, previous] = (await r.eval(ACTIVATE, 1, latestKey, String(now.getTime()), `${now.getTime()}:${idHash}`, String(ttl))) as [number, string | null];
        const previousHash = previous?.split(":")[1];
        if (replaced === 1 && previousHash && previousHash !== idHash) await r.del(redisKeys.linkSession(previousHash));
      });
    },
    discard: async () => {
      await redis.del(redisKeys.linkSession(idHash));
    },
  };
}

/** A link that opens at once (the operator's CLI). */
export async function createLinkSession({
  workspaceId,
  userId,
  purpose,
  actor,
}: {
  workspaceId: string;
  userId: string;
  purpose: LinkPurpose;
  actor: AuditActor;
}): Promise<{ id: string; url: string; expiresAt: Date }> {
  const link = await prepareLinkSession({ workspaceId, userId, purpose });
  try {
    await link.activate(actor);
  } catch (err) {
    await link.discard().catch(() => undefined);
    throw err;
  }
  return { id: link.id, url: link.url, expiresAt: link.expiresAt };
}

function liveRecord(raw: string | null, idHash: string): LinkSession | null {
  const record = parseRecord(linkRecord, raw);
  if (!record || Date.parse(record.expiresAt) <= Date.now()) return null;
  const purpose = parsePurpose(record.purpose, record.section);
  if (!purpose) return null;
  const { section: _section, ...rest } = record;
  return { ...rest, purpose, idHash };
}

/** Only the newest link of its purpose opens; no pointer at all (lost, evicted) opens nothing. */
async function isNewest(link: LinkSession): Promise<boolean> {
  const pointer = await redis.get(redisKeys.linkLatest(purposeDigest(link)));
  return pointer?.split(":")[1] === link.idHash;
}

/** Never consumes: link-preview bots fetch the page first. */
export async function peekLinkSession(id: unknown): Promise<LinkSession | null> {
  if (!isOpaqueId(id)) return null;
  const idHash = sha256Hex(id);
  const record = liveRecord(await redis.get(redisKeys.linkSession(idHash)), idHash);
  return record && (await isNewest(record)) ? record : null;
}

/** GETDEL: of any number of concurrent callers, exactly one gets the record; it opens only if still the newest. */
export async function consumeLinkSession(id: unknown): Promise<LinkSession | null> {
  if (!isOpaqueId(id)) return null;
  const idHash = sha256Hex(id);
  const raw = await durably((r) => r.getdel(redisKeys.linkSession(idHash)));
  const record = liveRecord(raw, idHash);
  return record && (await isNewest(record)) ? record : null;
}
