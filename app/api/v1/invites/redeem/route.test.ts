// POST /api/v1/invites/redeem through the route handler (SPEC §13): exactly the limit joins under concurrent requests,
// one identical 410 that never echoes the code, 409 for a member, and the guessing budgets per address and workspace.
import { randomBytes } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createInvite } from "@/lib/invites/manage";
import { closeLazyClients } from "@/lib/lazy";
import { issueServiceToken } from "@/lib/tokens/registry";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import { POST } from "./route";

afterAll(closeLazyClients);

beforeEach(async () => {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 5000) await new Promise((r) => setTimeout(r, left + 20));
});

const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };
const randomIp = () => `10.${[...randomBytes(3)].join(".")}`;
const wrongCode = () => `gh_inv_${randomBytes(32).toString("base64url")}`;

async function workspaceWithToken() {
  const ws = await makeWorkspace();
  const service = await issueServiceToken({ workspaceId: ws.workspaceId, actor: operator.actor });
  return { ...ws, token: service.token, tokenId: service.tokenId };
}

function redeem(token: string, body: unknown, ip = randomIp()) {
  return call(POST, "/api/v1/invites/redeem", {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
}

const newcomer = () => ({ platform: "telegram", id: randomTelegramId() });

describe("POST /api/v1/invites/redeem", () => {
  it("201 with the user, workspace and role; the service token is the recorded actor", async () => {
    const ws = await workspaceWithToken();
    const invite = await createInvite({ workspaceId: ws.workspaceId, ...operator, role: "admin" });
    const res = await redeem(ws.token, { code: invite.code, user: { ...newcomer(), name: "Ann" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({ userId: expect.any(String), workspaceId: ws.workspaceId, role: "admin" });
    const event = await db.auditEvent.findFirstOrThrow({ where: { workspaceId: ws.workspaceId, action: "invite.redeemed" } });
    expect([event.actorType, event.actorId]).toEqual(["service", ws.tokenId]);
  });

  it("20 concurrent requests on a limit-5 invite: exactly 5 × 201 and 15 × the same 410; uses, rows and events all 5", async () => {
    const ws = await workspaceWithToken();
    const invite = await createInvite({ workspaceId: ws.workspaceId, ...operator, maxUses: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => redeem(ws.token, { code: invite.code, user: newcomer() })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const gone = results.filter((r) => r.status === 410);
    expect(gone).toHaveLength(15);
    expect(new Set(gone.map((r) => r.text)).size).toBe(1);
    expect(gone[0]!.body).toMatchObject({ error: { code: "invite_invalid" } });
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(5);
    expect(await db.inviteRedemption.count({ where: { inviteId: invite.inviteId } })).toBe(5);
    expect(await db.auditEvent.count({ where: { workspaceId: ws.workspaceId, action: "invite.redeemed" } })).toBe(5);
  });

  it("the same user twice at once: one 201, one 409 already_member; one use", async () => {
    const ws = await workspaceWithToken();
    const invite = await createInvite({ workspaceId: ws.workspaceId, ...operator, maxUses: 5 });
    const user = newcomer();
    const results = await Promise.all([0, 1].map(() => redeem(ws.token, { code: invite.code, user })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.body).toEqual({ error: { code: "already_member", message: "The user is already a member of this workspace." } });
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(1);
  });

  it("another workspace's code, an unknown and a malformed one: the same 410 body, which never holds the code", async () => {
    const ws = await workspaceWithToken();
    const other = await workspaceWithToken();
    const theirs = await createInvite({ workspaceId: other.workspaceId, ...operator });
    const answers = await Promise.all([theirs.code, wrongCode(), "gh_inv_", "%00"].map((code) => redeem(ws.token, { code, user: newcomer() })));
    expect(answers.map((a) => a.status)).toEqual([410, 410, 410, 410]);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers[0]!.text).not.toContain(theirs.code.slice(7));
    // The rightful workspace can still use it.
    expect((await redeem(other.token, { code: theirs.code, user: newcomer() })).status).toBe(201);
  });

  it("rejects unknown fields with 400 validation_failed, taking nothing", async () => {
    const ws = await workspaceWithToken();
    const invite = await createInvite({ workspaceId: ws.workspaceId, ...operator });
    for (const body of [{ code: invite.code, user: newcomer(), role: "owner" }, { code: invite.code, user: { ...newcomer(), admin: true } }, { code: invite.code }]) {
      const res = await redeem(ws.token, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "validation_failed" } });
    }
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(0);
  });

  it("a flood of wrong codes in one workspace: 429 rate_limited with Retry-After there; another workspace's good code is unaffected", async () => {
    const flooded = await workspaceWithToken();
    const flood = await Promise.all(Array.from({ length: 75 }, () => redeem(flooded.token, { code: wrongCode(), user: newcomer() })));
    expect(flood.filter((r) => r.status === 410)).toHaveLength(60);
    const limited = flood.filter((r) => r.status === 429);
    expect(limited).toHaveLength(15);
    expect(limited[0]!.body).toMatchObject({ error: { code: "rate_limited" } });
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    const other = await workspaceWithToken();
    const invite = await createInvite({ workspaceId: other.workspaceId, ...operator, maxUses: 3 });
    const started = Date.now();
    const results = await Promise.all([0, 1, 2].map(() => redeem(other.token, { code: invite.code, user: newcomer() })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("a workspace flooding wrong codes is refused after 60 failures; another workspace through the same address is not", async () => {
    const a = await workspaceWithToken();
    const b = await workspaceWithToken();
    const ip = randomIp();
    const flood = await Promise.all(Array.from({ length: 62 }, () => redeem(a.token, { code: wrongCode(), user: newcomer() }, ip)));
    expect(flood.map((r) => r.status).sort()).toEqual([...Array(60).fill(410), 429, 429]);
    expect(flood.find((r) => r.status === 429)?.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
    const invite = await createInvite({ workspaceId: b.workspaceId, ...operator });
    expect((await redeem(b.token, { code: invite.code, user: newcomer() }, ip)).status).toBe(201);
  });
});
