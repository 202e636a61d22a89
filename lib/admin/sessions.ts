// Admin console sessions (SPEC §13): cookie `gh_admin`, Redis holds only the id's hash, idle and absolute limits of
// their own, and the role re-checked on every request: a session whose user is no longer an owner or admin of its
// workspace ends on that request, whatever ended the role.
import "server-only";
import { z } from "zod";
import type { Role } from "@/generated/prisma/client";
import { appendAuditEvent, type AuditActor } from "../audit";
import { getConfig } from "../config";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { uuidSchema } from "../db/sql";
import { getMembership } from "../members/membership";
import { canAdminister } from "../permissions";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { parseRecord } from "../redis/record";

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

export type AdminSessionMethod = SessionRecord["method"];
/** `ref` is the id's hash: shown on pages and used to end a session, never usable as a cookie. */
export type AdminSessionInfo = SessionRecord & { ref: string };
export type AdminSession = AdminSessionInfo & { role: Exclude<Role, "member"> };

const TOUCH = `
local v = redis.call('GET', KEYS[1])
if not v then return nil end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX')
return v`;

const HASH = /^[0-9a-f]{64}$/;
const entry = (userId: string, idHash: string) => `${userId}:${idHash}`;

function ttlMs(record: SessionRecord, now: number) {
  return Math.max(1, Math.min(getConfig().ttl.adminIdleSeconds * 1000, record.absoluteExpiresAt - now));
}

export async function createAdminSession({
  workspaceId,
  userId,
  method,
  userAgent,
  ip,
  replacing,
}: {
  workspaceId: string;
  userId: string;
  method: AdminSessionMethod;
  userAgent?: string | null;
  ip?: string | null;
  /** The browser's old admin session: ended, so every sign-in gets a fresh id. */
  replacing?: string | null;
}): Promise<{ id: string; maxAgeSeconds: number }> {
  const { adminAbsoluteSeconds } = getConfig().ttl;
  if (replacing) await endAdminSessionById(replacing);
  const id = generateOpaqueId();
  const idHash = sha256Hex(id);
  const now = Date.now();
  const record: SessionRecord = {
    workspaceId,
    userId,
    method,
    createdAt: now,
    lastSeenAt: now,
    absoluteExpiresAt: now + adminAbsoluteSeconds * 1000,
    userAgent: userAgent?.slice(0, 512) ?? null,
    ip: ip?.slice(0, 64) ?? null,
  };
  const index = redisKeys.workspaceAdminSessions(workspaceId);
  // The index first: a session that exists is always listed (and can be ended); a dangling entry is pruned on listing.
  await redis.multi().sadd(index, entry(userId, idHash)).expire(index, adminAbsoluteSeconds).exec();
  await durably((r) => r.set(redisKeys.adminSession(idHash), JSON.stringify(record), "PX", ttlMs(record, now)));
  await appendAuditEvent({ workspaceId, actor: { type: "admin", id: userId }, action: "admin.session.created", target: `user:${userId}`, ip, data: { method, session: idHash.slice(0, 16) } });
  return { id, maxAgeSeconds: adminAbsoluteSeconds };
}

/**
 * The live session for a cookie, with the user's current role; null when there is none. A session whose user lost
 * the admin role or the membership is ended here and reported as `lost_role`. Infrastructure errors propagate (→ 503).
 */
export async function getAdminSession(cookieValue: unknown): Promise<AdminSession | "lost_role" | null> {
  if (!isOpaqueId(cookieValue)) return null;
  const idHash = sha256Hex(cookieValue);
  const key = redisKeys.adminSession(idHash);
  const record = parseRecord(sessionRecord, (await redis.get(key)) as string | null);
  const now = Date.now();
  if (!record || record.absoluteExpiresAt <= now) {
    await redis.del(key);
    return null;
  }
  const membership = await getMembership(record);
  if (!membership || membership.role === "member" || !canAdminister(membership.role)) {
    await endAdminSessionHash(record.workspaceId, record.userId, idHash, { type: "system" }, membership ? "role_lost" : "membership_removed");
    return "lost_role";
  }
  const touched = { ...record, lastSeenAt: now };
  if (!(await redis.eval(TOUCH, 1, key, JSON.stringify(touched), String(ttlMs(touched, now))))) return null;
  return { ...touched, ref: idHash, role: membership.role };
}

/** Every live admin session of the workspace, newest activity first; entries that ended are pruned. */
export async function listAdminSessions({ workspaceId }: { workspaceId: string }): Promise<AdminSessionInfo[]> {
  const index = redisKeys.workspaceAdminSessions(workspaceId);
  const entries = await redis.smembers(index);
  if (!entries.length) return [];
  // One GET per key: each session key is in its own Cluster slot.
  const values = await Promise.all(entries.map((e) => redis.get(redisKeys.adminSession(e.slice(e.indexOf(":") + 1)))));
  const now = Date.now();
  const live: AdminSessionInfo[] = [];
  const gone: string[] = [];
  entries.forEach((e, i) => {
    const record = parseRecord(sessionRecord, values[i]);
    const idHash = e.slice(e.indexOf(":") + 1);
    if (record && record.workspaceId === workspaceId && record.absoluteExpiresAt > now && e === entry(record.userId, idHash)) {
      live.push({ ...record, ref: idHash });
    } else gone.push(e);
  });
  if (gone.length) await redis.srem(index, ...gone);
  return live.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
}

async function endAdminSessionHash(workspaceId: string, userId: string, idHash: string, actor: AuditActor, reason: string, ip?: string | null) {
  const removed = await durably((r) => r.del(redisKeys.adminSession(idHash)));
  await redis.srem(redisKeys.workspaceAdminSessions(workspaceId), entry(userId, idHash));
  if (removed) {
    await appendAuditEvent({ workspaceId, actor, action: "admin.session.revoked", target: `user:${userId}`, ip, data: { session: idHash.slice(0, 16), reason } });
  }
  return removed > 0;
}

/** An admin ending one admin session of their workspace (their own included); another workspace's ref changes nothing. */
export async function revokeAdminSession({ workspaceId, ref, actor, ip }: { workspaceId: string; ref: string; actor: AuditActor; ip?: string | null }): Promise<boolean> {
  if (!HASH.test(ref)) return false;
  const record = parseRecord(sessionRecord, (await redis.get(redisKeys.adminSession(ref))) as string | null);
  if (!record || record.workspaceId !== workspaceId) return false;
  return endAdminSessionHash(workspaceId, record.userId, ref, actor, "ended_by_admin", ip);
}

/** Ends every admin session of one user in one workspace (role or membership gone). */
export async function endAdminSessionsOfUser({ workspaceId, userId, actor, reason, ip }: { workspaceId: string; userId: string; actor: AuditActor; reason: string; ip?: string | null }): Promise<number> {
  const prefix = `${userId}:`;
  const mine = (await redis.smembers(redisKeys.workspaceAdminSessions(workspaceId))).filter((e) => e.startsWith(prefix));
  let ended = 0;
  for (const e of mine) if (await endAdminSessionHash(workspaceId, userId, e.slice(prefix.length), actor, reason, ip)) ended += 1;
  return ended;
}

/** Sign-out: the cookie's own session. */
export async function endAdminSessionById(cookieValue: unknown): Promise<void> {
  if (!isOpaqueId(cookieValue)) return;
  const idHash = sha256Hex(cookieValue);
  const record = parseRecord(sessionRecord, await durably((r) => r.getdel(redisKeys.adminSession(idHash))));
  if (!record) return;
  await redis.srem(redisKeys.workspaceAdminSessions(record.workspaceId), entry(record.userId, idHash));
  await appendAuditEvent({ workspaceId: record.workspaceId, actor: { type: "admin", id: record.userId }, action: "admin.session.revoked", target: `user:${record.userId}`, data: { session: idHash.slice(0, 16), reason: "signed_out" } });
}
