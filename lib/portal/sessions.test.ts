// Portal sessions (SPEC §4) against the real Redis and Postgres: hashed keys, idle and absolute timeouts,
// revocation that sticks, and membership re-checked on every use.
import { scanKeys } from "@/test/redis-scan";
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { generateOpaqueId, sha256Hex } from "../crypto/opaque";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { removeMember } from "../flows/member-removal";
import { addMember } from "../members/membership";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import {
  createPortalSession,
  endPortalSessionById,
  getPortalSession,
  listPortalSessions,
  revokeOtherPortalSessions,
  revokePortalSession,
} from "./sessions";

afterAll(closeLazyClients);

const actor = { type: "system", id: "test" } as const;
const IDLE_MS = 1800 * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (id: string) => redisKeys.portalSession(sha256Hex(id));

async function member() {
  const ws = await makeWorkspace();
  return { workspaceId: ws.workspaceId, userId: ws.ownerUserId, telegramId: ws.ownerTelegramId };
}

async function session(workspaceId: string, userId: string, extra: { userAgent?: string; ip?: string; replacing?: string } = {}) {
  return (await createPortalSession({ workspaceId, userId, method: "link", ...extra })).id;
}

async function allRedisValues() {
  const out: string[] = [];
  for (const key of await scanKeys(redis)) {
    out.push(key);
    const type = await redis.type(key);
    if (type === "string") out.push((await redis.get(key)) ?? "");
    else if (type === "set") out.push(...(await redis.smembers(key)));
    else if (type === "hash") out.push(JSON.stringify(await redis.hgetall(key)));
  }
  return out;
}

describe("createPortalSession / getPortalSession", () => {
  it("stores the session under the hash of its id and returns it for the cookie value", async () => {
    const { workspaceId, userId } = await member();
    const { id, maxAgeSeconds } = await createPortalSession({ workspaceId, userId, method: "oauth", ip: "198.51.100.4", userAgent: "vitest/1" });
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(maxAgeSeconds).toBe(43_200);

    const idHash = sha256Hex(id);
    expect(keyOf(id)).toBe(`portal:session:{${idHash}}`);
    expect(await redis.exists(`portal:session:{${idHash}}`)).toBe(1);

    const s = await getPortalSession(id);
    expect(s).toMatchObject({ workspaceId, userId, method: "oauth", ip: "198.51.100.4", userAgent: "vitest/1", ref: idHash });
    expect(s!.absoluteExpiresAt - s!.createdAt).toBe(43_200_000);

    for (const v of await allRedisValues()) expect(v).not.toContain(id);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "portal.session.created" } })).toBe(1);
  });

  it("expires after the idle timeout", async () => {
    const { workspaceId, userId } = await member();
    const id = await session(workspaceId, userId);
    const pttl = await redis.pttl(keyOf(id));
    expect(pttl).toBeGreaterThan(IDLE_MS - 10_000);
    expect(pttl).toBeLessThanOrEqual(IDLE_MS);
    expect(await redis.pexpire(keyOf(id), 1)).toBe(1);
    await sleep(20);
    expect(await getPortalSession(id)).toBeNull();
  });

  it("ends at the absolute timeout even while the idle TTL is still running, and deletes the key", async () => {
    const { workspaceId, userId } = await member();
    const id = await session(workspaceId, userId);
    const stored = JSON.parse((await redis.get(keyOf(id)))!) as { absoluteExpiresAt: number };
    await redis.set(keyOf(id), JSON.stringify({ ...stored, absoluteExpiresAt: Date.now() - 1000 }), "KEEPTTL");
    expect(await redis.pttl(keyOf(id))).toBeGreaterThan(0);
    expect(await getPortalSession(id)).toBeNull();
    expect(await redis.exists(keyOf(id))).toBe(0);
  });

  it("refreshes last-seen and the idle TTL on every use", async () => {
    const { workspaceId, userId } = await member();
    const id = await session(workspaceId, userId);
    const before = JSON.parse((await redis.get(keyOf(id)))!) as { lastSeenAt: number };
    await redis.pexpire(keyOf(id), 5000);
    await sleep(5);
    const s = await getPortalSession(id);
    expect(s).not.toBeNull();
    const pttl = await redis.pttl(keyOf(id));
    expect(pttl).toBeGreaterThan(IDLE_MS - 10_000);
    expect(pttl).toBeLessThanOrEqual(IDLE_MS);
    const after = JSON.parse((await redis.get(keyOf(id)))!) as { lastSeenAt: number };
    expect(after.lastSeenAt).toBeGreaterThan(before.lastSeenAt);
    expect(s!.lastSeenAt).toBe(after.lastSeenAt);
  });

  it("never stretches the idle TTL past the absolute expiry", async () => {
    const { workspaceId, userId } = await member();
    const id = await session(workspaceId, userId);
    const stored = JSON.parse((await redis.get(keyOf(id)))!) as { absoluteExpiresAt: number };
    await redis.set(keyOf(id), JSON.stringify({ ...stored, absoluteExpiresAt: Date.now() + 3000 }), "KEEPTTL");
    expect(await getPortalSession(id)).not.toBeNull();
    const pttl = await redis.pttl(keyOf(id));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(3000);
  });

  it("does not bring a session back when touches race its revocation", async () => {
    const { workspaceId, userId } = await member();
    for (let round = 0; round < 5; round++) {
      const id = await session(workspaceId, userId);
      const gets = Array.from({ length: 20 }, () => getPortalSession(id));
      const results = await Promise.allSettled([...gets.slice(0, 10), endPortalSessionById(id), ...gets.slice(10)]);
      expect(results.every((r) => r.status === "fulfilled")).toBe(true);
      expect(await redis.exists(keyOf(id))).toBe(0);
      expect(await getPortalSession(id)).toBeNull();
      expect(await redis.sismember(redisKeys.userPortalSessions(workspaceId, userId), sha256Hex(id))).toBe(0);
    }
  });

  it("ends the session it replaces", async () => {
    const { workspaceId, userId } = await member();
    const old = await session(workspaceId, userId);
    const fresh = await session(workspaceId, userId, { replacing: old });
    expect(fresh).not.toBe(old);
    expect(await getPortalSession(old)).toBeNull();
    expect(await redis.exists(keyOf(old))).toBe(0);
    expect(await getPortalSession(fresh)).toMatchObject({ workspaceId, userId });
    expect((await listPortalSessions({ workspaceId, userId })).map((s) => s.ref)).toEqual([sha256Hex(fresh)]);
  });

  it("answers null for malformed cookie values", async () => {
    const { workspaceId, userId } = await member();
    const id = await session(workspaceId, userId);
    const malformed: unknown[] = ["", "a", "x".repeat(10_000), `${id.slice(0, 42)}=`, `${id.slice(0, 42)}+`, `${id};`, sha256Hex(id), null, undefined, 7, {}, [id]];
    for (const bad of malformed) expect(await getPortalSession(bad)).toBeNull();
    // A well-formed but unknown id, too.
    expect(await getPortalSession(generateOpaqueId())).toBeNull();
    expect(await getPortalSession(id)).not.toBeNull();
  });
});

describe("listing and revoking", () => {
  it("lists only the user's own sessions in that workspace, newest first", async () => {
    const w1 = await member();
    const w2 = await member();
    const a = { userId: w1.userId, telegramId: w1.telegramId };
    const b = await addMember({ workspaceId: w1.workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, actor });
    const aInW2 = await addMember({ workspaceId: w2.workspaceId, identity: { platform: "telegram", externalId: a.telegramId }, actor });
    expect(aInW2.userId).toBe(a.userId);

    const a1 = await session(w1.workspaceId, a.userId, { userAgent: "first" });
    await sleep(5);
    const a2 = await session(w1.workspaceId, a.userId, { userAgent: "second" });
    await sleep(5);
    const bs = await session(w1.workspaceId, b.userId);
    const a3 = await session(w2.workspaceId, a.userId);

    const listA1 = await listPortalSessions({ workspaceId: w1.workspaceId, userId: a.userId });
    expect(listA1.map((s) => s.ref)).toEqual([sha256Hex(a2), sha256Hex(a1)]);
    expect(listA1.map((s) => s.userAgent)).toEqual(["second", "first"]);
    for (const s of listA1) expect(s).toMatchObject({ workspaceId: w1.workspaceId, userId: a.userId });

    expect((await listPortalSessions({ workspaceId: w1.workspaceId, userId: b.userId })).map((s) => s.ref)).toEqual([sha256Hex(bs)]);
    expect((await listPortalSessions({ workspaceId: w2.workspaceId, userId: a.userId })).map((s) => s.ref)).toEqual([sha256Hex(a3)]);
    expect(await listPortalSessions({ workspaceId: w2.workspaceId, userId: b.userId })).toEqual([]);
  });

  it("revokes only the user's own sessions, by ref", async () => {
    const w1 = await member();
    const w2 = await member();
    const a = w1.userId;
    const b = (await addMember({ workspaceId: w1.workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, actor })).userId;
    await addMember({ workspaceId: w2.workspaceId, identity: { platform: "telegram", externalId: w1.telegramId }, actor });
    const mine = await session(w1.workspaceId, a);
    const theirs = await session(w1.workspaceId, b);
    const mineElsewhere = await session(w2.workspaceId, a);

    const revokedBefore = await db.auditEvent.count({ where: { workspaceId: w1.workspaceId, action: "portal.session.revoked" } });
    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: sha256Hex(theirs) })).toBe(false);
    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: sha256Hex(mineElsewhere) })).toBe(false);
    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: theirs })).toBe(false);
    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: "" })).toBe(false);
    expect(await getPortalSession(theirs)).toMatchObject({ userId: b });
    expect(await getPortalSession(mineElsewhere)).toMatchObject({ userId: a, workspaceId: w2.workspaceId });
    expect(await db.auditEvent.count({ where: { workspaceId: w1.workspaceId, action: "portal.session.revoked" } })).toBe(revokedBefore);

    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: sha256Hex(mine) })).toBe(true);
    expect(await getPortalSession(mine)).toBeNull();
    expect(await redis.exists(keyOf(mine))).toBe(0);
    expect(await listPortalSessions({ workspaceId: w1.workspaceId, userId: a })).toEqual([]);
    expect(await revokePortalSession({ workspaceId: w1.workspaceId, userId: a, ref: sha256Hex(mine) })).toBe(false);
    expect(await getPortalSession(theirs)).not.toBeNull();
    expect(await db.auditEvent.count({ where: { workspaceId: w1.workspaceId, action: "portal.session.revoked" } })).toBe(revokedBefore + 1);
  });

  it("signs out all other sessions and keeps the current one", async () => {
    const { workspaceId, userId } = await member();
    const other = (await addMember({ workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, actor })).userId;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await session(workspaceId, userId));
    const otherUsers = await session(workspaceId, other);
    const keep = ids[2]!;

    expect(await revokeOtherPortalSessions({ workspaceId, userId, keepRef: sha256Hex(keep) })).toBe(3);
    for (const id of ids) {
      if (id === keep) expect(await getPortalSession(id)).not.toBeNull();
      else expect(await getPortalSession(id)).toBeNull();
    }
    expect((await listPortalSessions({ workspaceId, userId })).map((s) => s.ref)).toEqual([sha256Hex(keep)]);
    expect(await getPortalSession(otherUsers)).not.toBeNull();
    expect(await revokeOtherPortalSessions({ workspaceId, userId, keepRef: sha256Hex(keep) })).toBe(0);
  });
});

describe("membership removal", () => {
  async function twoWorkspaceMember() {
    const w1 = await member();
    const w2 = await member();
    const telegramId = randomTelegramId();
    const { userId } = await addMember({ workspaceId: w1.workspaceId, identity: { platform: "telegram", externalId: telegramId }, actor });
    await addMember({ workspaceId: w2.workspaceId, identity: { platform: "telegram", externalId: telegramId }, actor });
    return { w1: w1.workspaceId, w2: w2.workspaceId, userId };
  }

  it("ends the user's sessions in that workspace at once, and only there", async () => {
    const { w1, w2, userId } = await twoWorkspaceMember();
    const s1 = await session(w1, userId);
    const s1b = await session(w1, userId);
    const s2 = await session(w2, userId);

    await removeMember({ workspaceId: w1, userId, acting: "operator", actor });
    // Ended in Redis by removeMember itself, not lazily on the next request.
    expect((await redis.exists(keyOf(s1))) + (await redis.exists(keyOf(s1b)))).toBe(0);
    expect(await getPortalSession(s1)).toBeNull();
    expect(await getPortalSession(s1b)).toBeNull();
    expect(await listPortalSessions({ workspaceId: w1, userId })).toEqual([]);
    expect(await getPortalSession(s2)).toMatchObject({ workspaceId: w2, userId });
    const revoked = await db.auditEvent.findMany({ where: { workspaceId: w1, action: "portal.session.revoked" } });
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.data).toMatchObject({ count: 2, reason: "membership_removed" });
  });

  it("refuses a session whose index entry was lost, because membership is re-checked", async () => {
    const { w1, w2, userId } = await twoWorkspaceMember();
    const s1 = await session(w1, userId);
    const s2 = await session(w2, userId);
    await redis.del(redisKeys.userPortalSessions(w1, userId));

    await removeMember({ workspaceId: w1, userId, acting: "operator", actor });
    expect(await redis.exists(keyOf(s1))).toBe(1); // removeMember could not find it through the index
    expect(await getPortalSession(s1)).toBeNull();
    expect(await redis.exists(keyOf(s1))).toBe(0); // and the failed check ends it
    expect(await getPortalSession(s2)).toMatchObject({ workspaceId: w2, userId });
  });
});
