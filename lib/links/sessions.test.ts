// Settings links (SPEC §3) against the real Redis and Postgres: opaque ids, hashed keys, exactly-once consume.
import { scanKeys } from "@/test/redis-scan";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { sha256Hex } from "../crypto/opaque";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { removeMember } from "../flows/member-removal";
import { addMember } from "../members/membership";
import { getPortalSession } from "../portal/sessions";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { consumeLinkSession, createLinkSession, peekLinkSession } from "./sessions";
import { openLink } from "../flows/settings-link";

afterAll(closeLazyClients);
afterEach(() => {
  vi.restoreAllMocks();
});

const actor = { type: "system", id: "test" } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const keysMatching = (match: string) => scanKeys(redis, match);

/** Every key in the test Redis database with its value rendered as text, whatever its type. */
async function dumpRedis(match = "*") {
  const keys = await keysMatching(match);
  const types = await Promise.all(keys.map((key) => redis.type(key)));
  return Promise.all(
    keys.map(async (key, i) => {
      const type = types[i];
      let value = "";
      if (type === "string") value = (await redis.get(key)) ?? "";
      else if (type === "set") value = JSON.stringify(await redis.smembers(key));
      else if (type === "hash") value = JSON.stringify(await redis.hgetall(key));
      else if (type === "list") value = JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === "zset") value = JSON.stringify(await redis.zrange(key, "0", "-1"));
      return { key, value };
    }),
  );
}

function codeOf(result: PromiseSettledResult<unknown>) {
  return result.status === "rejected" ? (result.reason as { code?: string }).code : undefined;
}

async function memberWorkspace() {
  const ws = await makeWorkspace();
  return { workspaceId: ws.workspaceId, userId: ws.ownerUserId, telegramId: ws.ownerTelegramId };
}

describe("createLinkSession", () => {
  it("returns an opaque URL and stores only the hash of the id, with the link TTL", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id, url, expiresAt } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });

    expect(url).toMatch(/^http:\/\/localhost:3000\/settings\?s=[A-Za-z0-9_-]{43}$/);
    expect(new URL(url).searchParams.get("s")).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(890_000);
    expect(expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(900_000);

    const idHash = sha256Hex(id);
    const key = redisKeys.linkSession(idHash);
    expect(key).toBe(`auth:session:{${idHash}}`);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(900);
    expect(JSON.parse((await redis.get(key))!)).toMatchObject({ workspaceId, userId, purpose: "settings" });

    // The record exists under exactly one key, and neither key names nor values anywhere hold the raw id.
    const all = await dumpRedis();
    expect(all.filter((e) => e.key.includes(idHash)).map((e) => e.key)).toEqual([key]);
    const linkKeys = await keysMatching("auth:session:*");
    expect(linkKeys).toContain(key);
    for (const k of linkKeys) expect(k).not.toContain(id);
    for (const e of all) {
      expect(e.key).not.toContain(id);
      expect(e.value).not.toContain(id);
    }

    const rows = await db.auditEvent.findMany({ where: { workspaceId } });
    expect(JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(id);
    const created = rows.filter((r) => r.action === "link.created");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ target: `user:${userId}`, data: { purpose: "settings", link: idHash.slice(0, 16) } });
  });

  it("refuses a user who is not a member of the workspace", async () => {
    const { workspaceId } = await memberWorkspace();
    const other = await memberWorkspace();
    await expect(createLinkSession({ workspaceId, userId: other.userId, purpose: { kind: "settings" }, actor })).rejects.toMatchObject({
      code: "not_a_member",
      status: 403,
    });
    expect(await db.auditEvent.count({ where: { workspaceId, action: "link.created" } })).toBe(0);
  });
});

describe("peek and consume", () => {
  it("peek never consumes; consume succeeds exactly once", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const first = await peekLinkSession(id);
    const second = await peekLinkSession(id);
    expect(first).toMatchObject({ workspaceId, userId, purpose: { kind: "settings" }, idHash: sha256Hex(id) });
    expect(second).toEqual(first);
    expect(await consumeLinkSession(id)).toMatchObject({ workspaceId, userId, purpose: { kind: "settings" } });
    expect(await consumeLinkSession(id)).toBeNull();
    expect(await peekLinkSession(id)).toBeNull();
    expect(await redis.exists(redisKeys.linkSession(sha256Hex(id)))).toBe(0);
  });

  it("gives the record to exactly one of 50 concurrent consumers", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const results = await Promise.all(Array.from({ length: 50 }, () => consumeLinkSession(id)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(results.filter((r) => r === null)).toHaveLength(49);
  });

  it("treats a link past its TTL as unknown", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    expect(await redis.pexpire(redisKeys.linkSession(sha256Hex(id)), 1)).toBe(1);
    await sleep(20);
    expect(await peekLinkSession(id)).toBeNull();
    expect(await consumeLinkSession(id)).toBeNull();
    await expect(openLink({ id, ip: "203.0.113.9", userAgent: "vitest" })).rejects.toMatchObject({ code: "link_expired", status: 410 });
    expect(await db.auditEvent.count({ where: { workspaceId, action: { in: ["link.opened", "portal.session.created"] } } })).toBe(0);
  });

  it("answers null for malformed ids without sending a single Redis command", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const key = redisKeys.linkSession(sha256Hex(id));
    const before = await redis.get(key);

    const malformed: unknown[] = [
      "",
      "a",
      "x".repeat(10_000),
      `${"A".repeat(42)}+`,
      `${"A".repeat(42)}=`,
      `+${id.slice(1)}`,
      `${id.slice(0, 42)}=`,
      `${id} `,
      `${id}A`,
      id.slice(0, 42),
      null,
      undefined,
      42,
      { toString: () => id },
      [id],
    ];
    // The lazy proxy hands out the real client, so spying on it sees every command the code sends.
    const client = (globalThis as unknown as { gatehouseRedis: { sendCommand: (...args: unknown[]) => unknown } }).gatehouseRedis;
    const sent = vi.spyOn(client, "sendCommand");
    for (const bad of malformed) {
      expect(await peekLinkSession(bad), String(bad).slice(0, 50)).toBeNull();
      expect(await consumeLinkSession(bad), String(bad).slice(0, 50)).toBeNull();
    }
    expect(sent).toHaveBeenCalledTimes(0);
    // Control: the spy does see a well-formed lookup.
    expect(await peekLinkSession(id)).not.toBeNull();
    expect(sent).toHaveBeenCalled();
    sent.mockRestore();

    expect(await redis.get(key)).toBe(before);
    expect(await consumeLinkSession(id)).toMatchObject({ workspaceId, userId });
  });
});

describe("openLink", () => {
  it("opens exactly one portal session under 50 concurrent POSTs", async () => {
    const { workspaceId, userId } = await memberWorkspace();
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => openLink({ id, ip: "203.0.113.7", userAgent: "vitest" })));

    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    const won = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof openLink>>>).value;
    expect(won).toMatchObject({ next: "portal", maxAgeSeconds: 43_200 });
    expect(results.map(codeOf).filter((c) => c === "link_expired")).toHaveLength(49);

    expect(await db.auditEvent.count({ where: { workspaceId, action: "link.opened" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "portal.session.created" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "link.rejected" } })).toBe(0);

    if (won.next !== "portal") throw new Error("expected a portal session");
    expect(await getPortalSession(won.sessionId)).toMatchObject({ workspaceId, userId, method: "link", ip: "203.0.113.7", userAgent: "vitest" });
  });

  it("rejects a link whose user was removed from the workspace after it was created", async () => {
    const { workspaceId } = await memberWorkspace();
    const { userId } = await addMember({ workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, actor });
    const { id } = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    await removeMember({ workspaceId, userId, acting: "operator", actor });

    await expect(openLink({ id, ip: "203.0.113.8", userAgent: null })).rejects.toMatchObject({ code: "link_expired", status: 410 });
    const rejected = await db.auditEvent.findMany({ where: { workspaceId, action: "link.rejected" } });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ target: `user:${userId}`, ip: "203.0.113.8", data: { reason: "not_a_member", link: sha256Hex(id).slice(0, 16) } });
    expect(await db.auditEvent.count({ where: { workspaceId, action: { in: ["link.opened", "portal.session.created"] } } })).toBe(0);
    // Consumed by the rejected attempt: a second try finds nothing.
    expect(await peekLinkSession(id)).toBeNull();
  });
});
