// Links by purpose (SPEC §7): one openable link per (workspace, user, purpose), each landing on its purpose, and a
// link page opened inside Telegram proving its opener with signed initData.
import { scanKeys } from "@/test/redis-scan";
import { sign } from "@tma.js/init-data-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { auditDigest } from "../crypto/audit-digest";
import { sha256Hex } from "../crypto/opaque";
import { db } from "../db/client";
import { openLink } from "../flows/settings-link";
import { closeLazyClients } from "../lazy";
import { addMember } from "../members/membership";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { landingPath, parsePurpose, purposeName, type LinkPurpose } from "./purpose";
import { consumeLinkSession, createLinkSession, peekLinkSession, prepareLinkSession } from "./sessions";

const BOT_TOKEN = "424242:vitest-purpose-links-bot-token";
beforeAll(() => {
  vi.stubEnv("TELEGRAM_BOT_TOKEN", BOT_TOKEN);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await closeLazyClients();
});

const actor = { type: "system", id: "test" } as const;
const browser = { ip: "203.0.113.20", userAgent: "vitest" };

async function owner() {
  const ws = await makeWorkspace();
  return { workspaceId: ws.workspaceId, userId: ws.ownerUserId, telegramId: ws.ownerTelegramId };
}

function initDataFor(telegramId: string, authDate = new Date()) {
  return sign({ user: { id: Number(telegramId), first_name: "Test" }, query_id: `q${Math.random()}` }, BOT_TOKEN, authDate);
}

describe("purposes", () => {
  const cases: [LinkPurpose, string, string][] = [
    [{ kind: "settings" }, "settings", "/settings"],
    [{ kind: "settings", section: "secrets" }, "settings", "/settings/secrets"],
    [{ kind: "settings", section: "agent-access" }, "settings", "/settings/agent-access"],
    [{ kind: "admin" }, "admin", "/admin"],
    [{ kind: "connect", provider: "github" }, "connect:github", "/settings/connections?connect=github"],
    [{ kind: "mcp", server: "https://mcp.example.test/mcp" }, "mcp:https://mcp.example.test/mcp", "/settings/connections?mcp=https%3A%2F%2Fmcp.example.test%2Fmcp"],
  ];
  it.each(cases)("%o is named %s and lands on %s", (purpose, name, landing) => {
    expect(purposeName(purpose)).toBe(name);
    expect(landingPath(purpose)).toBe(landing);
    expect(parsePurpose(name, purpose.kind === "settings" ? purpose.section : undefined)).toEqual(purpose);
  });

  it("parses nothing it did not write", () => {
    for (const [name, section] of [
      ["default", undefined],
      ["settings", "billing"],
      ["admin", "secrets"],
      ["connect:GitHub", undefined],
      ["connect:", undefined],
      ["mcp:http://mcp.example.test/", undefined],
      ["mcp:https://user:pw@mcp.example.test/", undefined],
      ["mcp:https://mcp.example.test/#x", undefined],
      [42, undefined],
    ] as const) {
      expect(parsePurpose(name, section), String(name)).toBeNull();
    }
  });
});

describe("one openable link per user and purpose", () => {
  it("a new link ends the earlier unused one of the same purpose, and only that purpose", async () => {
    const { workspaceId, userId } = await owner();
    const first = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const admin = await createLinkSession({ workspaceId, userId, purpose: { kind: "admin" }, actor });
    const second = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings", section: "secrets" }, actor });

    expect(await peekLinkSession(first.id)).toBeNull();
    expect(await redis.exists(redisKeys.linkSession(sha256Hex(first.id)))).toBe(0);
    expect(await peekLinkSession(second.id)).toMatchObject({ purpose: { kind: "settings", section: "secrets" } });
    expect(await peekLinkSession(admin.id)).toMatchObject({ purpose: { kind: "admin" } });
    expect(await consumeLinkSession(first.id)).toBeNull();
    expect(await consumeLinkSession(second.id)).toMatchObject({ workspaceId, userId });
  });

  it("another user's or another workspace's link of the same purpose is untouched", async () => {
    const a = await owner();
    const b = await owner();
    const { userId: other } = await addMember({ workspaceId: a.workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, actor });
    const mine = await createLinkSession({ workspaceId: a.workspaceId, userId: a.userId, purpose: { kind: "settings" }, actor });
    await createLinkSession({ workspaceId: a.workspaceId, userId: other, purpose: { kind: "settings" }, actor });
    await createLinkSession({ workspaceId: b.workspaceId, userId: b.userId, purpose: { kind: "settings" }, actor });
    expect(await peekLinkSession(mine.id)).not.toBeNull();
  });

  it("a prepared link opens nothing until activated, and a discarded one never", async () => {
    const { workspaceId, userId } = await owner();
    const earlier = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const failed = await prepareLinkSession({ workspaceId, userId, purpose: { kind: "settings" } });
    expect(await peekLinkSession(failed.id)).toBeNull();
    await failed.discard();
    // A delivery that failed leaves the earlier link usable.
    expect(await peekLinkSession(earlier.id)).not.toBeNull();

    const delivered = await prepareLinkSession({ workspaceId, userId, purpose: { kind: "settings" } });
    await delivered.activate({ type: "job", id: "vitest" });
    expect(await peekLinkSession(delivered.id)).not.toBeNull();
    expect(await peekLinkSession(earlier.id)).toBeNull();
    const created = await db.auditEvent.findMany({ where: { workspaceId, action: "link.created" }, orderBy: { seq: "asc" } });
    expect(created).toHaveLength(2);
    expect(created[1]!.data).toEqual({ purpose: "settings", link: delivered.idHash.slice(0, 16) });
    expect(JSON.stringify(created.map((e) => e.data))).not.toContain(delivered.id);
  });

  it("links are dated and ordered by Redis's clock, not the instance's: a fast clock cannot pin an old link", async () => {
    const { workspaceId, userId } = await owner();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 120_000);
    let skewed;
    try {
      skewed = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    } finally {
      vi.useRealTimers();
    }
    const next = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    expect(await peekLinkSession(next.id)).not.toBeNull();
    expect(await peekLinkSession(skewed.id)).toBeNull();
  });

  it("a link whose pointer is lost opens nothing (fail closed)", async () => {
    const { workspaceId, userId } = await owner();
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const keys = await scanKeys(redis, "link:latest:*");
    for (const k of keys) await redis.del(k);
    expect(await peekLinkSession(link.id)).toBeNull();
  });

  it("of 20 links activated at once exactly the last activated one opens", async () => {
    const { workspaceId, userId } = await owner();
    const prepared = await Promise.all(Array.from({ length: 20 }, () => prepareLinkSession({ workspaceId, userId, purpose: { kind: "connect", provider: "github" } })));
    for (const p of prepared) await p.activate(actor);
    const open = await Promise.all(prepared.map((p) => peekLinkSession(p.id)));
    expect(open.map((o) => o !== null)).toEqual(prepared.map((_, i) => i === prepared.length - 1));
  });

  it("an older link activating late (a delivery that outlived its lock) does not displace a newer one", async () => {
    const { workspaceId, userId } = await owner();
    const older = await prepareLinkSession({ workspaceId, userId, purpose: { kind: "settings" } });
    await new Promise((r) => setTimeout(r, 5));
    const newer = await prepareLinkSession({ workspaceId, userId, purpose: { kind: "settings" } });
    await newer.activate(actor);
    await older.activate(actor);
    expect(await peekLinkSession(newer.id)).not.toBeNull();
    expect(await peekLinkSession(older.id)).toBeNull();
  });

  it("lands on its purpose after the one-time open", async () => {
    const { workspaceId, userId } = await owner();
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings", section: "agent-access" }, actor });
    await expect(openLink({ id: link.id, ...browser })).resolves.toMatchObject({ next: "portal", landing: "/settings/agent-access" });
  });
});

describe("Telegram proves the opener (SPEC §7)", () => {
  it("the link's own Telegram user opens it, with no identity-provider round trip", async () => {
    const { workspaceId, userId, telegramId } = await owner();
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const result = await openLink({ id: link.id, initData: initDataFor(telegramId), ...browser });
    expect(result).toMatchObject({ next: "portal", landing: "/settings" });
    const opened = await db.auditEvent.findFirst({ where: { workspaceId, action: "link.opened" } });
    expect(opened?.data).toMatchObject({ verifiedBy: "telegram" });
  });

  it("another Telegram user gets the different-account refusal, audited, with nothing opened", async () => {
    const { workspaceId, userId, telegramId: telegramIdOfOwner } = await owner();
    const stranger = randomTelegramId();
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    await expect(openLink({ id: link.id, initData: initDataFor(stranger), ...browser })).rejects.toMatchObject({ status: 403, reason: "telegram_mismatch" });
    const mismatch = await db.auditEvent.findMany({ where: { workspaceId, action: "identity.mismatch" } });
    expect(mismatch).toHaveLength(1);
    expect(mismatch[0]!.data).toMatchObject({ provider: "telegram", subject: auditDigest(`telegram\u0000${stranger}`) });
    expect(JSON.stringify(mismatch.map((e) => [e.data, e.target]))).not.toContain(stranger);
    expect(await db.auditEvent.count({ where: { workspaceId, action: { in: ["link.opened", "portal.session.created"] } } })).toBe(0);
    // Refused before it was spent: a stranger holding the id cannot use up the owner's link.
    expect(await peekLinkSession(link.id)).not.toBeNull();
    await expect(openLink({ id: link.id, initData: initDataFor(telegramIdOfOwner), ...browser })).resolves.toMatchObject({ next: "portal" });
  });

  it("another member of the same workspace is a different account too", async () => {
    const { workspaceId, userId } = await owner();
    const colleague = randomTelegramId();
    await addMember({ workspaceId, identity: { platform: "telegram", externalId: colleague }, actor });
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    await expect(openLink({ id: link.id, initData: initDataFor(colleague), ...browser })).rejects.toMatchObject({ reason: "telegram_mismatch" });
  });

  it("badly signed, stale or replayed initData is 401 and leaves the link usable", async () => {
    const { workspaceId, userId, telegramId } = await owner();
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    const forged = sign({ user: { id: Number(telegramId), first_name: "Test" } }, "1:another-bot", new Date());
    const stale = initDataFor(telegramId, new Date(Date.now() - 2 * 3600_000));
    for (const initData of [forged, stale, "user=%7B%7D&hash=00"]) {
      await expect(openLink({ id: link.id, initData, ...browser })).rejects.toMatchObject({ code: "invalid_init_data", status: 401 });
    }
    expect(await peekLinkSession(link.id)).not.toBeNull();

    const once = initDataFor(telegramId);
    await openLink({ id: link.id, initData: once, ...browser });
    const next = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    await expect(openLink({ id: next.id, initData: once, ...browser })).rejects.toMatchObject({ code: "invalid_init_data" });
    expect(await peekLinkSession(next.id)).not.toBeNull();
  });

  it("a link sent as a web_app button opens only with Telegram's word for its owner; a browser Continue spends nothing", async () => {
    const { workspaceId, userId, telegramId } = await owner();
    const link = await prepareLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, opener: "telegram" });
    await link.activate(actor);
    for (const initData of [null, ""]) {
      await expect(openLink({ id: link.id, initData, ...browser })).rejects.toMatchObject({ code: "invalid_init_data", status: 401, message: expect.stringContaining("only inside Telegram") });
    }
    expect(await peekLinkSession(link.id)).not.toBeNull();
    await expect(openLink({ id: link.id, initData: initDataFor(telegramId), ...browser })).resolves.toMatchObject({ next: "portal", verifiedBy: "telegram" });
  });

  it("initData signed before the link existed is not this opening: 401, link kept", async () => {
    const { workspaceId, userId, telegramId } = await owner();
    const earlier = initDataFor(telegramId, new Date(Date.now() - 10 * 60_000));
    const link = await createLinkSession({ workspaceId, userId, purpose: { kind: "settings" }, actor });
    await expect(openLink({ id: link.id, initData: earlier, ...browser })).rejects.toMatchObject({ code: "invalid_init_data" });
    expect(await peekLinkSession(link.id)).not.toBeNull();
    await expect(openLink({ id: link.id, initData: initDataFor(telegramId), ...browser })).resolves.toMatchObject({ next: "portal" });
  });

  it("of 20 concurrent Continues with one initData and 20 links, exactly one opens", async () => {
    const { workspaceId, userId, telegramId } = await owner();
    const initData = initDataFor(telegramId);
    const links = [];
    // Twenty purposes, so that no link ends another.
    for (let i = 0; i < 20; i++) links.push(await createLinkSession({ workspaceId, userId, purpose: { kind: "connect", provider: `p${i}` }, actor }));
    const results = await Promise.allSettled(links.map((l) => openLink({ id: l.id, initData, ...browser })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
