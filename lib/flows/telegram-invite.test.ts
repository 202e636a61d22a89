// The Mini App's invite journey (SPEC §5, §13): a start_param `inv_<code>` redeems the invite for the initData-proven
// Telegram user, then opens a portal session in the invite's workspace. HMAC and replay checks run first.
import { sign } from "@tma.js/init-data-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeMember, makeWorkspace, randomTelegramId } from "@/test/factories";
import type * as DbModule from "../db/client";
import type * as CodeModule from "../invites/code";
import type * as ManageModule from "../invites/manage";
import type * as SessionsModule from "../portal/sessions";
import type * as SignInModule from "./telegram-sign-in";

const BOT_TOKEN = "123456:vitest-telegram-invite-token";
const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };

let startTelegramSession: typeof SignInModule.startTelegramSession;
let createInvite: typeof ManageModule.createInvite;
let revokeInvite: typeof ManageModule.revokeInvite;
let inviteStartParam: typeof CodeModule.inviteStartParam;
let getPortalSession: typeof SessionsModule.getPortalSession;
let db: typeof DbModule.db;

beforeAll(async () => {
  // Config is parsed once per file, on first use: stub before anything reads it.
  vi.stubEnv("TELEGRAM_BOT_TOKEN", BOT_TOKEN);
  ({ startTelegramSession } = await import("./telegram-sign-in"));
  ({ createInvite, revokeInvite } = await import("../invites/manage"));
  ({ inviteStartParam } = await import("../invites/code"));
  ({ getPortalSession } = await import("../portal/sessions"));
  ({ db } = await import("../db/client"));
});

afterAll(async () => {
  const { closeLazyClients } = await import("../lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

let ipCounter = 0;
const nextIp = () => `10.77.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}`;

function initDataFor(telegramId: string, startParam: string, token = BOT_TOKEN) {
  return sign({ user: { id: Number(telegramId), first_name: "Tess", last_name: "Gram" }, start_param: startParam }, token, new Date());
}

const start = (initData: string, extra: { workspaceId?: string } = {}) => startTelegramSession({ initData, ip: nextIp(), userAgent: "vitest", ...extra });

async function outcome(p: Promise<unknown>) {
  try {
    return await p;
  } catch (err) {
    return { code: (err as { code?: string }).code, status: (err as { status?: number }).status, message: (err as Error).message };
  }
}

const usesOf = async (inviteId: string) => (await db.invite.findUniqueOrThrow({ where: { id: inviteId } })).uses;

describe("startTelegramSession with an invite start_param", () => {
  it("makes an unknown Telegram user a member with Telegram's name and opens a portal session in the invite's workspace", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, role: "admin" });
    const telegramId = randomTelegramId();
    const result = await start(initDataFor(telegramId, inviteStartParam(invite.code)));
    expect(result).toEqual({ next: "portal", workspaceId, sessionId: expect.any(String), maxAgeSeconds: expect.any(Number) });
    if (result.next !== "portal") return;

    const identity = await db.platformIdentity.findUniqueOrThrow({ where: { platform_externalId: { platform: "telegram", externalId: telegramId } }, select: { user: true } });
    expect(identity.user.displayName).toBe("Tess Gram");
    expect((await db.membership.findUniqueOrThrow({ where: { workspaceId_userId: { workspaceId, userId: identity.user.id } } })).role).toBe("admin");
    expect(await getPortalSession(result.sessionId)).toMatchObject({ workspaceId, userId: identity.user.id, method: "telegram" });
    expect(await usesOf(invite.inviteId)).toBe(1);
    const actions = await db.auditEvent.findMany({ where: { workspaceId, actorId: identity.user.id }, orderBy: { seq: "asc" }, select: { action: true } });
    expect(actions.map((a) => a.action)).toEqual(["member.added", "invite.redeemed", "portal.session.created", "telegram.session.created"]);
  });

  it("signs a member of the invite's workspace in there (among several), without taking a use", async () => {
    const home = await makeWorkspace();
    const { workspaceId } = await makeWorkspace();
    const member = await makeMember(workspaceId);
    await db.membership.create({ data: { workspaceId: home.workspaceId, userId: member.userId, role: "member" } });
    const invite = await createInvite({ workspaceId, ...operator });
    const result = await start(initDataFor(member.telegramId, inviteStartParam(invite.code)));
    expect(result).toMatchObject({ next: "portal", workspaceId });
    expect(await usesOf(invite.inviteId)).toBe(0);
  });

  it("an unusable code is the one 410 invite_invalid, for strangers and members alike; the initData is spent", async () => {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const revoked = await createInvite({ workspaceId, ...operator });
    await revokeInvite({ inviteId: revoked.inviteId, ...operator });
    const invalid = { code: "invite_invalid", status: 410, message: expect.stringContaining("not valid") };
    const stranger = randomTelegramId();
    for (const startParam of [inviteStartParam(revoked.code), "inv_", "inv_tooshort", `inv_${"A".repeat(43)}`]) {
      for (const telegramId of [stranger, ownerTelegramId]) {
        const initData = initDataFor(telegramId, startParam);
        expect(await outcome(start(initData)), `${startParam} ${telegramId}`).toEqual(invalid);
        expect(await outcome(start(initData))).toMatchObject({ code: "invalid_init_data" });
      }
    }
    expect(await db.platformIdentity.count({ where: { platform: "telegram", externalId: stranger } })).toBe(0);
  });

  it("checks the signature and the replay guard before redeeming: a forged or replayed initData takes no use", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 5 });
    const param = inviteStartParam(invite.code);
    expect(await outcome(start(initDataFor(randomTelegramId(), param, "654321:another-bot")))).toMatchObject({ code: "invalid_init_data", status: 401 });
    const initData = initDataFor(randomTelegramId(), param);
    // The same initData five times at once: one session, one use.
    const results = await Promise.all(Array.from({ length: 5 }, () => outcome(start(initData))));
    expect(results.filter((r) => (r as { next?: string }).next === "portal")).toHaveLength(1);
    expect(results.filter((r) => (r as { code?: string }).code === "invalid_init_data")).toHaveLength(4);
    expect(await usesOf(invite.inviteId)).toBe(1);
  });

  it("the invite names the workspace: a workspaceId in the body does not redirect the redemption", async () => {
    const { workspaceId } = await makeWorkspace();
    const elsewhere = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator });
    const result = await start(initDataFor(randomTelegramId(), inviteStartParam(invite.code)), { workspaceId: elsewhere.workspaceId });
    expect(result).toMatchObject({ next: "portal", workspaceId });
  });

  it("a start_param naming a workspace still picks it for a member of several", async () => {
    const first = await makeWorkspace();
    const second = await makeWorkspace();
    await db.membership.create({ data: { workspaceId: second.workspaceId, userId: first.ownerUserId, role: "member" } });
    expect(await start(initDataFor(first.ownerTelegramId, second.workspaceId))).toMatchObject({ next: "portal", workspaceId: second.workspaceId });
  });
});
