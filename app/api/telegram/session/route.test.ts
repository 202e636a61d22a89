// Telegram Mini App sign-in through the route handler, against the real Postgres and Redis.
import { randomInt, randomUUID } from "node:crypto";
import { sign } from "@tma.js/init-data-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as DbModule from "@/lib/db/client";
import type * as RemovalModule from "@/lib/flows/member-removal";
import type * as MembersModule from "@/lib/members/membership";
import type * as SessionsModule from "@/lib/portal/sessions";
import { makeWorkspace, randomTelegramId } from "@/test/factories";

const BOT_TOKEN = "123456:vitest-telegram-bot-token";
const ORIGIN = "http://localhost:3000";
const RATE_LIMIT = 25;
const INVALID = { error: { code: "invalid_init_data", message: "The Telegram sign-in data could not be verified. Open the Mini App again from the bot." } };
const EXPIRED = { error: { code: "invalid_init_data", message: "This Telegram sign-in has expired or was already used. Open the Mini App again from the bot." } };
const NOT_A_MEMBER_ANYWHERE = {
  error: { code: "forbidden", message: "This Telegram account is not a member of any workspace. Ask your workspace admin to add you." },
};
const NOT_A_MEMBER_THERE = {
  error: { code: "forbidden", message: "This Telegram account is not a member of that workspace. Ask your workspace admin to add you." },
};

let POST: (req: Request) => Promise<Response>;
let lib: {
  getPortalSession: typeof SessionsModule.getPortalSession;
  addMember: typeof MembersModule.addMember;
  removeMember: typeof RemovalModule.removeMember;
  db: typeof DbModule.db;
};

beforeAll(async () => {
  // Config is parsed once per test file, on first use: stub before anything reads it.
  vi.stubEnv("TELEGRAM_BOT_TOKEN", BOT_TOKEN);
  vi.stubEnv("RATE_LIMIT_TELEGRAM_PER_MINUTE", String(RATE_LIMIT));
  ({ POST } = await import("./route"));
  const [sessions, members, removal, database] = await Promise.all([
    import("@/lib/portal/sessions"),
    import("@/lib/members/membership"),
    import("@/lib/flows/member-removal"),
    import("@/lib/db/client"),
  ]);
  lib = { getPortalSession: sessions.getPortalSession, addMember: members.addMember, removeMember: removal.removeMember, db: database.db };
});

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function initDataFor(telegramId: string, opts: { authDate?: Date; startParam?: string; token?: string } = {}) {
  return sign(
    { user: { id: Number(telegramId), first_name: "Test" }, ...(opts.startParam ? { start_param: opts.startParam } : {}) },
    opts.token ?? BOT_TOKEN,
    opts.authDate ?? new Date(),
  );
}

function post(
  body: unknown,
  opts: { ip?: string; origin?: string | null; contentType?: string; cookie?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": opts.contentType ?? "application/json",
    "x-forwarded-for": opts.ip ?? randomIp(),
    "user-agent": "vitest",
  };
  if (opts.origin !== null) headers.origin = opts.origin ?? ORIGIN;
  if (opts.cookie) headers.cookie = opts.cookie;
  return POST(
    new Request(`${ORIGIN}/api/telegram/session`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) }),
  );
}

async function result(res: Response) {
  return { status: res.status, body: await res.json(), cookie: res.headers.get("set-cookie"), cache: res.headers.get("cache-control") };
}

function sessionIdOf(setCookie: string | null) {
  const match = /^gh_session=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/.exec(setCookie ?? "");
  expect(match, `Set-Cookie: ${setCookie}`).not.toBeNull();
  return match![1]!;
}

/** A user who owns one workspace and is a member of a second one. */
async function userInTwoWorkspaces() {
  const first = await makeWorkspace();
  const second = await makeWorkspace();
  await lib.addMember({
    workspaceId: second.workspaceId,
    identity: { platform: "telegram", externalId: first.ownerTelegramId },
    actor: { type: "system", id: "test" },
  });
  const names = await lib.db.workspace.findMany({ where: { id: { in: [first.workspaceId, second.workspaceId] } }, select: { id: true, name: true } });
  const nameOf = (id: string) => names.find((n) => n.id === id)!.name;
  return { telegramId: first.ownerTelegramId, userId: first.ownerUserId, first: { id: first.workspaceId, name: nameOf(first.workspaceId) }, second: { id: second.workspaceId, name: nameOf(second.workspaceId) } };
}

describe("POST /api/telegram/session", () => {
  it("signs a member in: 200 {redirect}, a portal cookie whose session works, audited without initData", async () => {
    const ws = await makeWorkspace();
    const initData = initDataFor(ws.ownerTelegramId);
    const res = await result(await post({ initData }));
    expect(res).toMatchObject({ status: 200, body: { redirect: "/settings" }, cache: "no-store" });

    const session = await lib.getPortalSession(sessionIdOf(res.cookie));
    expect(session).toMatchObject({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, method: "telegram", userAgent: "vitest" });

    const events = await lib.db.auditEvent.findMany({ where: { workspaceId: ws.workspaceId, action: "telegram.session.created" } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: "user", actorId: ws.ownerUserId, data: { identity: `telegram:${ws.ownerTelegramId}` } });
    const hash = new URLSearchParams(initData).get("hash")!;
    const everything = JSON.stringify(await lib.db.auditEvent.findMany({ where: { workspaceId: ws.workspaceId }, select: { action: true, target: true, data: true } }));
    expect(everything).not.toContain(hash);
    expect(everything).not.toContain("auth_date");
  });

  it("replaces the browser's current portal session", async () => {
    const ws = await makeWorkspace();
    const first = sessionIdOf((await post({ initData: initDataFor(ws.ownerTelegramId) })).headers.get("set-cookie"));
    const res = await post({ initData: initDataFor(ws.ownerTelegramId, { authDate: new Date(Date.now() - 60_000) }) }, { cookie: `other=1; gh_session=${first}` });
    expect(res.status).toBe(200);
    expect(await lib.getPortalSession(first)).toBeNull();
    expect(await lib.getPortalSession(sessionIdOf(res.headers.get("set-cookie")))).not.toBeNull();
  });

  it("accepts each initData once: a replay is 401", async () => {
    const ws = await makeWorkspace();
    const initData = initDataFor(ws.ownerTelegramId);
    expect((await post({ initData })).status).toBe(200);
    const replay = await result(await post({ initData }));
    expect(replay).toMatchObject({ status: 401, body: EXPIRED, cookie: null, cache: "no-store" });
  });

  it("gives exactly one 200 to 20 concurrent posts of the same initData", async () => {
    const ws = await makeWorkspace();
    const initData = initDataFor(ws.ownerTelegramId);
    const ip = randomIp();
    const responses = await Promise.all(Array.from({ length: 20 }, () => post({ initData }, { ip })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(401)]);
    const created = await lib.db.auditEvent.count({ where: { workspaceId: ws.workspaceId, action: "telegram.session.created" } });
    expect(created).toBe(1);
  });

  it("answers 401 'could not be verified' for future, tampered, foreign-bot and malformed initData, 'expired' only for stale", async () => {
    const ws = await makeWorkspace();
    const other = await makeWorkspace();
    const id = ws.ownerTelegramId;
    const good = initDataFor(id);
    const cases: Record<string, string> = {
      stale: initDataFor(id, { authDate: new Date(Date.now() - 3601_000) }),
      future: initDataFor(id, { authDate: new Date(Date.now() + 10 * 60_000) }),
      tamperedUser: good.replace(encodeURIComponent(`"id":${id}`), encodeURIComponent(`"id":${other.ownerTelegramId}`)),
      tamperedStartParam: initDataFor(id, { startParam: "abc" }).replace("start_param=abc", "start_param=abd"),
      otherBot: initDataFor(id, { token: "654321:some-other-bot-token" }),
      noHash: good.replace(/&hash=[0-9a-f]+/, ""),
      uppercaseHash: good.replace(/hash=([0-9a-f]+)/, (_, h: string) => `hash=${h.toUpperCase()}`),
      duplicateKey: `${good}&user=${encodeURIComponent(JSON.stringify({ id: Number(other.ownerTelegramId), first_name: "X" }))}`,
      garbage: "not init data at all",
      empty: "",
      tooLong: `${good}&x=${"a".repeat(4096)}`,
    };
    expect(cases.tamperedUser).not.toBe(good);
    for (const [name, initData] of Object.entries(cases)) {
      const res = await result(await post({ initData }));
      const body = name === "stale" ? EXPIRED : INVALID;
      expect({ name, status: res.status, body: res.body, cookie: res.cookie }).toEqual({ name, status: 401, body, cookie: null });
    }
    // None of the failures consumed anything: the genuine initData still works.
    expect((await post({ initData: good })).status).toBe(200);
  });

  it("tolerates auth_date slightly ahead of our clock", async () => {
    const ws = await makeWorkspace();
    expect((await post({ initData: initDataFor(ws.ownerTelegramId, { authDate: new Date(Date.now() + 30_000) }) })).status).toBe(200);
  });

  it("is 403 for a Telegram account nobody added, and for one whose membership was removed", async () => {
    const unknown = await result(await post({ initData: initDataFor(randomTelegramId()) }));
    expect(unknown).toMatchObject({ status: 403, body: NOT_A_MEMBER_ANYWHERE, cookie: null });

    const ws = await makeWorkspace();
    const memberTelegramId = randomTelegramId();
    const { userId } = await lib.addMember({ workspaceId: ws.workspaceId, identity: { platform: "telegram", externalId: memberTelegramId }, actor: { type: "system", id: "test" } });
    await lib.removeMember({ workspaceId: ws.workspaceId, userId, acting: "operator", actor: { type: "system", id: "test" } });
    const removed = await result(await post({ initData: initDataFor(memberTelegramId) }));
    expect(removed).toMatchObject({ status: 403, body: NOT_A_MEMBER_ANYWHERE, cookie: null });
  });

  it("lets a user in several workspaces pick one with the same initData", async () => {
    const u = await userInTwoWorkspaces();
    const initData = initDataFor(u.telegramId);
    const picker = await result(await post({ initData }));
    expect(picker).toMatchObject({ status: 200, cookie: null, cache: "no-store" });
    expect(picker.body).toEqual({
      choose: [
        { workspaceId: u.first.id, workspaceName: u.first.name },
        { workspaceId: u.second.id, workspaceName: u.second.name },
      ],
    });

    const chosen = await result(await post({ initData, workspaceId: u.second.id }));
    expect(chosen).toMatchObject({ status: 200, body: { redirect: "/settings" } });
    expect(await lib.getPortalSession(sessionIdOf(chosen.cookie))).toMatchObject({ workspaceId: u.second.id, userId: u.userId });
    // Once a session was made the initData is spent, for the picker too.
    expect(await result(await post({ initData }))).toMatchObject({ status: 401, body: EXPIRED });
  });

  it("is 403 with one body for a chosen workspace that is not theirs, whether or not it exists", async () => {
    const u = await userInTwoWorkspaces();
    const foreign = await makeWorkspace();
    const initData = initDataFor(u.telegramId);
    for (const workspaceId of [foreign.workspaceId, randomUUID()]) {
      expect(await result(await post({ initData, workspaceId }))).toMatchObject({ status: 403, body: NOT_A_MEMBER_THERE, cookie: null });
    }
    expect((await post({ initData, workspaceId: u.first.id })).status).toBe(200);
  });

  it("goes straight to the workspace a start_param names, and ignores one that is not theirs", async () => {
    const u = await userInTwoWorkspaces();
    const direct = await result(await post({ initData: initDataFor(u.telegramId, { startParam: u.second.id }) }));
    expect(direct.status).toBe(200);
    expect(await lib.getPortalSession(sessionIdOf(direct.cookie))).toMatchObject({ workspaceId: u.second.id });

    const foreign = await makeWorkspace();
    const ignored = await result(await post({ initData: initDataFor(u.telegramId, { startParam: foreign.workspaceId }) }));
    expect(ignored).toMatchObject({ status: 200, cookie: null });
    expect(ignored.body.choose).toHaveLength(2);
  });

  it("refuses cross-origin posts with 403 and consumes nothing", async () => {
    const ws = await makeWorkspace();
    const initData = initDataFor(ws.ownerTelegramId);
    const crossOrigin = { error: { code: "cross_origin", message: "Cross-origin requests are not allowed." } };
    expect(await result(await post({ initData }, { origin: "https://evil.example" }))).toMatchObject({ status: 403, body: crossOrigin, cookie: null });
    expect(await result(await post({ initData }, { origin: null }))).toMatchObject({ status: 403, body: crossOrigin, cookie: null });
    expect((await post({ initData })).status).toBe(200);
  });

  it("refuses other content types (415), large bodies (413), bad JSON (400) and wrong shapes (400)", async () => {
    const ws = await makeWorkspace();
    const initData = initDataFor(ws.ownerTelegramId);
    expect(await result(await post({ initData }, { contentType: "text/plain" }))).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
    expect(await result(await post(`initData=${encodeURIComponent(initData)}`, { contentType: "application/x-www-form-urlencoded" }))).toMatchObject({ status: 415 });
    expect(await result(await post({ initData: "a".repeat(9000) }))).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    expect(await result(await post("{not json"))).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
    for (const bad of [{ initData, extra: 1 }, { initData: 42 }, {}, [initData], { initData, workspaceId: "not-a-uuid" }, null]) {
      expect(await result(await post(bad))).toMatchObject({ status: 400, body: { error: { code: "validation_failed" } } });
    }
    // application/json with a charset is still JSON; nothing above consumed the initData.
    expect((await post({ initData }, { contentType: "application/json; charset=utf-8" })).status).toBe(200);
  });

  it(`rate-limits each client IP to ${RATE_LIMIT} posts a minute, and cross-site posts never fill the bucket`, async () => {
    const ip = randomIp();
    for (let i = 0; i < RATE_LIMIT + 5; i++) expect((await post("{}", { ip, origin: "https://evil.example" })).status).toBe(403);
    for (let i = 0; i < RATE_LIMIT; i++) expect((await post({ initData: "x" }, { ip })).status).toBe(401);
    const limited = await post({ initData: "x" }, { ip });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await post({ initData: "x" }, { ip: randomIp() })).status).toBe(401);
  });
});

describe("POST /api/telegram/session with an invite (start_param inv_<code>)", () => {
  it("redeems for the Telegram user and answers like a sign-in: 200 {redirect} and a portal cookie for the invite's workspace", async () => {
    const { createInvite } = await import("@/lib/invites/manage");
    const { inviteStartParam } = await import("@/lib/invites/code");
    const ws = await makeWorkspace();
    const invite = await createInvite({ workspaceId: ws.workspaceId, acting: "operator", actor: { type: "system", id: "test" } });
    const telegramId = randomTelegramId();
    const res = await result(await post({ initData: initDataFor(telegramId, { startParam: inviteStartParam(invite.code) }) }));
    expect(res).toMatchObject({ status: 200, body: { redirect: "/settings" }, cache: "no-store" });
    const session = await lib.getPortalSession(sessionIdOf(res.cookie));
    expect(session).toMatchObject({ workspaceId: ws.workspaceId, method: "telegram" });
    expect(await lib.db.membership.count({ where: { workspaceId: ws.workspaceId, userId: session!.userId } })).toBe(1);

    // Used up now: the next person gets the JSON 410 and no cookie.
    const gone = await result(await post({ initData: initDataFor(randomTelegramId(), { startParam: inviteStartParam(invite.code) }) }));
    expect(gone).toMatchObject({ status: 410, body: { error: { code: "invite_invalid", message: expect.any(String) } }, cookie: null });
    expect(JSON.stringify(gone.body)).not.toContain(invite.code.slice(7));
  });
});
