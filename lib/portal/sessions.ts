import "server-only";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit";
import { getConfig } from "../config";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { getMembership } from "../members/membership";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { parseRecord } from "../redis/record";
import { uuidSchema } from "../db/sql";

const sessionRecord = z.object({
  workspaceId: uuidSchema,
  userId: uuidSchema,
  method: z.enum(["link", "oauth", "telegram"]),
  createdAt: z.number(),
  lastSeenAt: z.number(),
  absoluteExpiresAt: z.number(),
  userAgent: z.string().max(512).nullable(),
  ip: z.string().max(64).nullable(),
});
type SessionRecord = z.infer<typeof sessionRecord>;

export type PortalSession = SessionRecord & { ref: string };

/** Pages show a session's hash, never its id: the hash cannot be used as a cookie. */
const refOf = (idHash: string) => idHash;

// Only if the session still exists: a touch racing a revoke must not bring it back.
const TOUCH = `
local v = redis.call('GET', KEYS[1])
if not v then return nil end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX')
return v`;

function ttlMs(record: SessionRecord, now: number) {
  const { portalIdleSeconds } = getConfig().ttl;
  return Math.max(1, Math.min(portalIdleSeconds * 1000, record.absoluteExpiresAt - now));
}

export async function createPortalSession({
  workspaceId,
  userId,
  method,
  userAgent,
  ip,
  replacing,
  actor,
}: {
  workspaceId: string;
  userId: string;
  method: SessionRecord["method"];
  userAgent?: string | null;
  ip?: string | null;
  /** The browser's old session: ended, so every sign-in gets a fresh id. */
  replacing?: string | null;
  actor?: AuditActor;
}): Promise<{ id: string; maxAgeSeconds: number }> {
  const { portalAbsoluteSeconds } = getConfig().ttl;
  if (replacing) await endPortalSessionById(replacing);
  const id = generateOpaqueId();
  const idHash = sha256Hex(id);
  const now = Date.now();
  const record: SessionRecord = {
    workspaceId,
    userId,
    method,
    createdAt: now,
    lastSeenAt: now,
    absoluteExpiresAt: now + portalAbsoluteSeconds * 1000,
    userAgent: userAgent?.slice(0, 512) ?? null,
    ip: ip?.slice(0, 64) ?? null,
  };
  const index = redisKeys.userPortalSessions(workspaceId, userId);
  // The indexes first: a session that exists is always listed (and can be ended); a dangling entry is pruned on listing.
  const all = redisKeys.workspacePortalSessions(workspaceId);
  await redis.multi().sadd(index, idHash).expire(index, portalAbsoluteSeconds).exec();
  await redis.multi().sadd(all, `${userId}:${idHash}`).expire(all, portalAbsoluteSeconds).exec();
  await durably((r) => r.set(redisKeys.portalSession(idHash), JSON.stringify(record), "PX", ttlMs(record, now)));
  await appendAuditEvent({
    workspaceId,
    actor: actor ?? { type: "user", id: userId },
    action: "portal.session.created",
    target: `user:${userId}`,
    ip,
    data: { method, session: idHash.slice(0, 16) },
  });
  return { id, maxAgeSeconds: portalAbsoluteSeconds };
}

/** Infrastructure errors propagate (→ 503). */
export async function getPortalSession(cookieValue: unknown): Promise<PortalSession | null> {
  if (!isOpaqueId(cookieValue)) return null;
  const idHash = sha256Hex(cookieValue);
  const key = redisKeys.portalSession(idHash);
  const raw = (await redis.get(key)) as string | null;
  if (!raw) return null;
  const record = parseRecord(sessionRecord, raw);
  const now = Date.now();
  if (!record || record.absoluteExpiresAt <= now) {
    await redis.del(key);
    return null;
  }
  if (!(await getMembership({ workspaceId: record.workspaceId, userId: record.userId }))) {
    await endSessionHash(record.workspaceId, record.userId, idHash);
    return null;
  }
  const touched = { ...record, lastSeenAt: now };
  const still = await redis.eval(TOUCH, 1, key, JSON.stringify(touched), String(ttlMs(touched, now)));
  if (!still) return null;
  return { ...touched, ref: refOf(idHash) };
}

export async function listPortalSessions({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<PortalSession[]> {
  const index = redisKeys.userPortalSessions(workspaceId, userId);
  const hashes = await redis.smembers(index);
  if (hashes.length === 0) return [];
  // One GET per key: each session key is in its own Cluster slot, so MGET would fail with CROSSSLOT.
  const values = await Promise.all(hashes.map((h) => redis.get(redisKeys.portalSession(h))));
  const sessions: PortalSession[] = [];
  const gone: string[] = [];
  const now = Date.now();
  hashes.forEach((h, i) => {
    const record = parseRecord(sessionRecord, values[i]);
    if (record && record.absoluteExpiresAt > now && record.workspaceId === workspaceId && record.userId === userId) {
      sessions.push({ ...record, ref: refOf(h) });
    } else {
      gone.push(h);
    }
  });
  if (gone.length) await redis.srem(index, ...gone);
  return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}

async function endSessionHash(workspaceId: string, userId: string, idHash: string) {
  const removed = await durably((r) => r.del(redisKeys.portalSession(idHash)));
  await redis.srem(redisKeys.userPortalSessions(workspaceId, userId), idHash);
  await redis.srem(redisKeys.workspacePortalSessions(workspaceId), `${userId}:${idHash}`);
  return removed > 0;
}

export type WorkspacePortalSession = PortalSession;

/** Every live portal session of the workspace (the admin Sessions page), newest activity first. */
export async function listWorkspacePortalSessions({ workspaceId }: { workspaceId: string }): Promise<WorkspacePortalSession[]> {
  const index = redisKeys.workspacePortalSessions(workspaceId);
  const entries = await redis.smembers(index);
  if (!entries.length) return [];
  const split = entries.map((e) => ({ e, userId: e.slice(0, e.indexOf(":")), idHash: e.slice(e.indexOf(":") + 1) }));
  const values = await Promise.all(split.map((x) => redis.get(redisKeys.portalSession(x.idHash))));
  const now = Date.now();
  const live: WorkspacePortalSession[] = [];
  const gone: string[] = [];
  split.forEach((x, i) => {
    const record = parseRecord(sessionRecord, values[i]);
    if (record && record.workspaceId === workspaceId && record.userId === x.userId && record.absoluteExpiresAt > now) live.push({ ...record, ref: refOf(x.idHash) });
    else gone.push(x.e);
  });
  if (gone.length) await redis.srem(index, ...gone);
  return live.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}

/** An admin ending any portal session of their workspace; a ref of another workspace changes nothing. */
export async function endWorkspacePortalSession({ workspaceId, ref, actor, ip }: { workspaceId: string; ref: string; actor: AuditActor; ip?: string | null }): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(ref)) return false;
  const record = parseRecord(sessionRecord, (await redis.get(redisKeys.portalSession(ref))) as string | null);
  if (!record || record.workspaceId !== workspaceId) return false;
  if (!(await endSessionHash(workspaceId, record.userId, ref))) return false;
  await appendAuditEvent({ workspaceId, actor, action: "portal.session.revoked", target: `user:${record.userId}`, ip, data: { session: ref.slice(0, 16), reason: "ended_by_admin" } });
  return true;
}

/** Someone else's ref changes nothing. */
export async function revokePortalSession({
  workspaceId,
  userId,
  ref,
  ip,
}: {
  workspaceId: string;
  userId: string;
  ref: string;
  ip?: string | null;
}): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(ref)) return false;
  const owned = await redis.sismember(redisKeys.userPortalSessions(workspaceId, userId), ref);
  if (!owned) return false;
  await endSessionHash(workspaceId, userId, ref);
  await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "portal.session.revoked", target: `user:${userId}`, ip, data: { session: ref.slice(0, 16), reason: "signed_out" } });
  return true;
}

export async function revokeOtherPortalSessions({
  workspaceId,
  userId,
  keepRef,
  ip,
  actor,
  reason = "signed_out_others",
}: {
  workspaceId: string;
  userId: string;
  keepRef?: string;
  ip?: string | null;
  actor?: AuditActor;
  reason?: string;
}): Promise<number> {
  const index = redisKeys.userPortalSessions(workspaceId, userId);
  const hashes = (await redis.smembers(index)).filter((h) => h !== keepRef);
  if (hashes.length === 0) return 0;
  await durably((r) => Promise.all(hashes.map((h) => r.del(redisKeys.portalSession(h)))));
  await redis.srem(index, ...hashes);
  await redis.srem(redisKeys.workspacePortalSessions(workspaceId), ...hashes.map((h) => `${userId}:${h}`));
  await appendAuditEvent({ workspaceId, actor: actor ?? { type: "user", id: userId }, action: "portal.session.revoked", target: `user:${userId}`, ip, data: { count: hashes.length, reason } });
  return hashes.length;
}

export async function endPortalSessionById(cookieValue: unknown) {
  if (!isOpaqueId(cookieValue)) return;
  const idHash = sha256Hex(cookieValue);
  const raw = await durably((r) => r.getdel(redisKeys.portalSession(idHash)));
  const record = parseRecord(sessionRecord, raw);
  if (record) {
    await redis.srem(redisKeys.userPortalSessions(record.workspaceId, record.userId), idHash);
    await redis.srem(redisKeys.workspacePortalSessions(record.workspaceId), `${record.userId}:${idHash}`);
    await appendAuditEvent({ workspaceId: record.workspaceId, actor: { type: "user", id: record.userId }, action: "portal.session.revoked", target: `user:${record.userId}`, data: { session: idHash.slice(0, 16), reason: "replaced_or_signed_out" } });
  }
}
