// Redeeming invites (SPEC §13, §11 "exactly-once consumption of invite uses under concurrent requests"): exactly the
// limit succeeds however many race, one identical 410 for every unusable code, 409 for a member without taking a use.
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { toResponse } from "@/lib/http/respond";
import { closeLazyClients } from "@/lib/lazy";
import { addMember } from "@/lib/members/membership";
import { makeMember, makeWorkspace, randomTelegramId } from "@/test/factories";
import { generateInviteCode } from "./code";
import { createInvite, revokeInvite } from "./manage";
import { redeemInvite, redeemInviteCode } from "./redeem";

afterAll(closeLazyClients);

// The budgets are wall-clock minutes: never start a test right before a boundary, or its attempts would split.
beforeEach(async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5000) await new Promise((r) => setTimeout(r, left + 20));
});

const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };
const randomIp = () => `10.${[...randomBytes(3)].join(".")}`;
const tg = (id = randomTelegramId(), name?: string) => ({ platform: "telegram", id, ...(name ? { name } : {}) });

async function outcome(p: Promise<unknown>) {
  try {
    await p;
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const res = toResponse(err);
    return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
  }
  throw new Error("expected a rejection");
}

const counts = async (workspaceId: string, inviteId: string) => ({
  uses: (await db.invite.findUniqueOrThrow({ where: { id: inviteId } })).uses,
  redemptions: await db.inviteRedemption.count({ where: { inviteId } }),
  redeemed: await db.auditEvent.count({ where: { workspaceId, action: "invite.redeemed" } }),
  added: await db.auditEvent.count({ where: { workspaceId, action: "member.added", data: { path: ["inviteId"], equals: inviteId } } }),
});

describe("redeemInvite", () => {
  it("makes a new user a member with the invite's role, records the redemption, audits member.added and invite.redeemed", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, role: "admin", maxUses: 2 });
    const telegramId = randomTelegramId();
    const actor = { type: "service" as const, id: randomUUID() };
    const joined = await redeemInvite({ workspaceId, code: invite.code, user: tg(telegramId, "Newcomer"), ip: "10.1.2.3", actor });
    expect(joined).toEqual({ userId: expect.any(String), workspaceId, role: "admin" });

    expect((await db.membership.findUniqueOrThrow({ where: { workspaceId_userId: { workspaceId, userId: joined.userId } } })).role).toBe("admin");
    expect((await db.user.findUniqueOrThrow({ where: { id: joined.userId } })).displayName).toBe("Newcomer");
    expect(await db.inviteRedemption.findMany({ where: { inviteId: invite.inviteId }, select: { workspaceId: true, userId: true } })).toEqual([{ workspaceId, userId: joined.userId }]);
    const events = await db.auditEvent.findMany({
      where: { workspaceId, action: { in: ["member.added", "invite.redeemed"] }, actorType: "service" },
      orderBy: { seq: "asc" },
      select: { action: true, actorType: true, actorId: true, target: true, ip: true, data: true },
    });
    const identity = `telegram:${telegramId}`;
    expect(events).toEqual([
      { action: "member.added", actorType: "service", actorId: actor.id, target: `user:${joined.userId}`, ip: "10.1.2.3", data: { inviteId: invite.inviteId, role: "admin", identity } },
      {
        action: "invite.redeemed",
        actorType: "service",
        actorId: actor.id,
        target: `invite:${invite.inviteId}`,
        ip: "10.1.2.3",
        data: { inviteId: invite.inviteId, userId: joined.userId, role: "admin", identity, uses: 1, maxUses: 2 },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(invite.code.slice(7));
  });

  it("gives a known person (a member elsewhere) the membership on their existing user; the actor defaults to them", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const invite = await createInvite({ workspaceId: b.workspaceId, ...operator });
    const joined = await redeemInvite({ workspaceId: b.workspaceId, code: invite.code, user: tg(a.ownerTelegramId), ip: randomIp() });
    expect(joined.userId).toBe(a.ownerUserId);
    const event = await db.auditEvent.findFirstOrThrow({ where: { workspaceId: b.workspaceId, action: "invite.redeemed" } });
    expect([event.actorType, event.actorId]).toEqual(["user", a.ownerUserId]);
  });

  it("answers unknown, malformed, revoked, expired, used-up and another workspace's codes with one identical 410", async () => {
    const { workspaceId } = await makeWorkspace();
    const other = await makeWorkspace();
    const revoked = await createInvite({ workspaceId, ...operator });
    await revokeInvite({ inviteId: revoked.inviteId, ...operator });
    const expired = await createInvite({ workspaceId, ...operator });
    await db.invite.update({ where: { id: expired.inviteId }, data: { expiresAt: new Date(Date.now() - 1) } });
    const usedUp = await createInvite({ workspaceId, ...operator });
    await redeemInvite({ workspaceId, code: usedUp.code, user: tg(), ip: randomIp() });
    const theirs = await createInvite({ workspaceId: other.workspaceId, ...operator });
    const codes = [generateInviteCode(), "gh_inv_short", "", "x".repeat(300), `${revoked.code}x`, revoked.code.toUpperCase(), revoked.code, expired.code, usedUp.code, theirs.code];

    const answers = [];
    for (const code of codes) answers.push(await rejection(redeemInvite({ workspaceId, code, user: tg(), ip: randomIp() })));
    expect(answers[0]!.status).toBe(410);
    expect(JSON.parse(answers[0]!.body)).toEqual({ error: { code: "invite_invalid", message: expect.stringContaining("not valid") } });
    for (const [i, a] of answers.entries()) expect(a, codes[i]).toEqual(answers[0]);
    expect((await db.invite.findUniqueOrThrow({ where: { id: theirs.inviteId } })).uses).toBe(0);
    expect(await db.membership.count({ where: { workspaceId } })).toBe(2);
  });

  it("a member with a usable code gets 409 already_member and no use is taken; with an unusable one, the same 410 as anyone", async () => {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 1 });
    for (let i = 0; i < 3; i++) {
      expect(await outcome(redeemInvite({ workspaceId, code: invite.code, user: tg(ownerTelegramId), ip: randomIp() }))).toBe("already_member");
    }
    expect(await counts(workspaceId, invite.inviteId)).toEqual({ uses: 0, redemptions: 0, redeemed: 0, added: 0 });
    await redeemInvite({ workspaceId, code: invite.code, user: tg(), ip: randomIp() });
    expect(await outcome(redeemInvite({ workspaceId, code: invite.code, user: tg(ownerTelegramId), ip: randomIp() }))).toBe("invite_invalid");
    expect(await outcome(redeemInvite({ workspaceId, code: generateInviteCode(), user: tg(ownerTelegramId), ip: randomIp() }))).toBe("invite_invalid");
  });

  it("refuses a malformed user with 400 before anything else", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator });
    for (const user of [{ platform: "irc", id: "1" }, { platform: "telegram", id: "12abc" }, { platform: "slack", id: "nope" }]) {
      expect(await outcome(redeemInvite({ workspaceId, code: invite.code, user, ip: randomIp() }))).toBe("validation_failed");
    }
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(0);
  });
});

describe("redeemInvite under concurrency", () => {
  it("20 distinct users at once on a limit-5 invite: exactly 5 join, 15 get invite_invalid; 5 uses, rows and audit events", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 5 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => outcome(redeemInvite({ workspaceId, code: invite.code, user: tg(), ip: randomIp() }))),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(5);
    expect(results.filter((r) => r === "invite_invalid")).toHaveLength(15);
    expect(await counts(workspaceId, invite.inviteId)).toEqual({ uses: 5, redemptions: 5, redeemed: 5, added: 5 });
    expect(await db.membership.count({ where: { workspaceId } })).toBe(6);
  });

  it("the same user twice at once: one joins, the other is already a member; one use", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 5 });
    const user = tg();
    const results = await Promise.all([0, 1].map(() => outcome(redeemInvite({ workspaceId, code: invite.code, user, ip: randomIp() }))));
    expect(results.sort()).toEqual(["already_member", "ok"]);
    expect(await counts(workspaceId, invite.inviteId)).toEqual({ uses: 1, redemptions: 1, redeemed: 1, added: 1 });
  });

  it("one new person redeeming invites of two workspaces at once gets one user and both memberships", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const [ia, ib] = await Promise.all([a, b].map((w) => createInvite({ workspaceId: w.workspaceId, ...operator })));
    const user = tg();
    const [ra, rb] = await Promise.all([
      redeemInvite({ workspaceId: a.workspaceId, code: ia!.code, user, ip: randomIp() }),
      redeemInvite({ workspaceId: b.workspaceId, code: ib!.code, user, ip: randomIp() }),
    ]);
    expect(ra.userId).toBe(rb.userId);
    expect(await db.platformIdentity.count({ where: { platform: "telegram", externalId: user.id } })).toBe(1);
  });
});

describe("redeemInviteCode without a workspace (the Mini App)", () => {
  it("redeems into the code's own workspace, and answers a member of it with already_member", async () => {
    const { workspaceId } = await makeWorkspace();
    const member = await makeMember(workspaceId);
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 2 });
    const joined = await redeemInviteCode({ code: invite.code, user: tg(), ip: randomIp() });
    expect(joined).toMatchObject({ outcome: "redeemed", workspaceId, role: "member" });
    expect(await redeemInviteCode({ code: invite.code, user: tg(member.telegramId), ip: randomIp() })).toEqual({
      outcome: "already_member",
      userId: member.userId,
      workspaceId,
      role: "member",
    });
    expect(await outcome(redeemInviteCode({ code: generateInviteCode(), user: tg(), ip: randomIp() }))).toBe("invite_invalid");
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(1);
  });
});

describe("rate limits against guessing", () => {
  it("the orchestrator's budget is per workspace: a flood through one address refuses only that workspace, with Retry-After", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const theirs = await createInvite({ workspaceId: b.workspaceId, ...operator, maxUses: 2 });
    const ip = randomIp();
    const flood = await Promise.all(Array.from({ length: 64 }, () => outcome(redeemInvite({ workspaceId: a.workspaceId, code: generateInviteCode(), user: tg(), ip }))));
    expect(flood.filter((r) => r === "invite_invalid")).toHaveLength(60);
    expect(flood.filter((r) => r === "rate_limited")).toHaveLength(4);
    const refused = await rejection(redeemInvite({ workspaceId: a.workspaceId, code: generateInviteCode(), user: tg(), ip: randomIp() }));
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error.code).toBe("rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(60);
    // The same orchestrator address, another workspace: untouched.
    expect(await outcome(redeemInvite({ workspaceId: b.workspaceId, code: theirs.code, user: tg(), ip }))).toBe("ok");
  });

  it("from the Mini App: per address and per Telegram user; without a trusted address, no shared address budget", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 3 });
    const ip = randomIp();
    const flood = await Promise.all(Array.from({ length: 12 }, () => outcome(redeemInviteCode({ code: generateInviteCode(), user: tg(), ip }))));
    expect(flood.filter((r) => r === "invite_invalid")).toHaveLength(10);
    expect(flood.filter((r) => r === "rate_limited")).toHaveLength(2);
    expect(await outcome(redeemInviteCode({ code: invite.code, user: tg(), ip }))).toBe("rate_limited");
    expect(await outcome(redeemInviteCode({ code: invite.code, user: tg(), ip: randomIp() }))).toBe("ok");
    // One Telegram user guessing from many addresses stops at their own budget.
    const guesser = tg();
    const mine = await Promise.all(Array.from({ length: 12 }, () => outcome(redeemInviteCode({ code: generateInviteCode(), user: guesser, ip: randomIp() }))));
    expect(mine.filter((r) => r === "rate_limited")).toHaveLength(2);
    // No trusted client address (TRUST_PROXY_HOPS=0 reads "direct"): a flood by many users must not refuse everyone.
    await Promise.all(Array.from({ length: 12 }, () => outcome(redeemInviteCode({ code: generateInviteCode(), user: tg(), ip: "direct" }))));
    expect(await outcome(redeemInviteCode({ code: invite.code, user: tg(), ip: "direct" }))).toBe("ok");
  });

  it("a member removed and invited back with the same invite joins again (the redemption keeps the latest time)", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 3 });
    const user = tg();
    const first = await redeemInvite({ workspaceId, code: invite.code, user, ip: randomIp() });
    const { removeMember } = await import("@/lib/flows/member-removal");
    await removeMember({ workspaceId, userId: first.userId, acting: "operator", actor: operator.actor });
    await expect(redeemInvite({ workspaceId, code: invite.code, user, ip: randomIp() })).resolves.toMatchObject({ userId: first.userId, role: "member" });
    expect(await counts(workspaceId, invite.inviteId)).toMatchObject({ uses: 2, redemptions: 1, redeemed: 2 });
  });

  it("an invite that expires while its redemption waits for the workspace lock is not used", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator });
    await db.invite.update({ where: { id: invite.inviteId }, data: { expiresAt: new Date(Date.now() + 800) } });
    const { lockWorkspace } = await import("@/lib/db/locks");
    const holder = db.$transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      await new Promise((r) => setTimeout(r, 1500));
    }, { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await outcome(redeemInvite({ workspaceId, code: invite.code, user: tg(), ip: randomIp() }))).toBe("invite_invalid");
    await holder;
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(0);
  });

  it("redemptions that work never run out the address's budget", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 15 });
    const ip = randomIp();
    for (let i = 0; i < 15; i++) expect(await outcome(redeemInvite({ workspaceId, code: invite.code, user: tg(), ip }))).toBe("ok");
  });

  it("a flood against one workspace from many addresses stops there; another workspace's good code still works", async () => {
    const flooded = await makeWorkspace();
    const mine = await createInvite({ workspaceId: flooded.workspaceId, ...operator });
    const flood = await Promise.all(
      Array.from({ length: 70 }, () => outcome(redeemInvite({ workspaceId: flooded.workspaceId, code: generateInviteCode(), user: tg(), ip: randomIp() }))),
    );
    expect(flood.filter((r) => r === "invite_invalid")).toHaveLength(60);
    expect(flood.filter((r) => r === "rate_limited")).toHaveLength(10);
    expect(await outcome(redeemInvite({ workspaceId: flooded.workspaceId, code: mine.code, user: tg(), ip: randomIp() }))).toBe("rate_limited");

    const other = await makeWorkspace();
    const theirs = await createInvite({ workspaceId: other.workspaceId, ...operator });
    expect(await outcome(redeemInvite({ workspaceId: other.workspaceId, code: theirs.code, user: tg(), ip: randomIp() }))).toBe("ok");
  });
});

describe("addMember after the refactor", () => {
  it("still refuses an existing member with already_member", async () => {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const again = addMember({ workspaceId, identity: { platform: "telegram", externalId: ownerTelegramId }, actor: operator.actor });
    await expect(again).rejects.toMatchObject({ code: "already_member", status: 409 });
  });
});
