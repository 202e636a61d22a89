// Admin console sessions (SPEC §13) against the real Redis and Postgres: hashed keys, their own idle (900 s) and
// absolute (8 h) limits, the role re-checked on every use, and every way the role or membership goes ending them.
import { afterAll, describe, expect, it } from "vitest";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { sha256Hex } from "../crypto/opaque";
import { db } from "../db/client";
import { changeMemberRole, removeMember } from "../flows/member-removal";
import { serveCredentials } from "../jobs/credentials-serve";
import { getJobStatus } from "../jobs/lifecycle";
import { closeLazyClients } from "../lazy";
import { changeRole, transferOwnership } from "../members/roles";
import { createPortalSession, getPortalSession, listWorkspacePortalSessions, endWorkspacePortalSession } from "../portal/sessions";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { createAdminSession, endAdminSessionById, getAdminSession, listAdminSessions, revokeAdminSession } from "./sessions";

afterAll(closeLazyClients);

const actor = { type: "system", id: "test" } as const;
const open = async (workspaceId: string, userId: string) => (await createAdminSession({ workspaceId, userId, method: "link", ip: "203.0.113.9", userAgent: "test" })).id;

async function adminOf() {
  const ws = await makeWorkspace();
  const m = await makeMember(ws.workspaceId);
  await changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "admin", acting: "operator", actor });
  return { ...ws, adminUserId: m.userId, adminTelegramId: m.telegramId };
}

describe("admin sessions", () => {
  it("store only the id's hash, with the admin idle TTL, and resolve with the current role", async () => {
    const ws = await makeWorkspace();
    const id = await open(ws.workspaceId, ws.ownerUserId);
    expect(await redis.exists(`admin:session:{${id}}`)).toBe(0);
    const key = redisKeys.adminSession(sha256Hex(id));
    const pttl = await redis.pttl(key);
    expect(pttl).toBeGreaterThan(890_000);
    expect(pttl).toBeLessThanOrEqual(900_000);
    expect(await redis.get(key)).not.toContain(id);
    expect(await getAdminSession(id)).toMatchObject({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, role: "owner", method: "link" });
    // A portal cookie value is not an admin session, nor the reverse.
    const portal = await createPortalSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, method: "link" });
    expect(await getAdminSession(portal.id)).toBeNull();
    expect(await getPortalSession(id)).toBeNull();
  });

  it("end at the absolute limit even while the idle TTL runs", async () => {
    const ws = await makeWorkspace();
    const id = await open(ws.workspaceId, ws.ownerUserId);
    const key = redisKeys.adminSession(sha256Hex(id));
    const record = JSON.parse((await redis.get(key))!) as { absoluteExpiresAt: number; createdAt: number };
    expect(record.absoluteExpiresAt - record.createdAt).toBe(8 * 3600 * 1000);
    await redis.set(key, JSON.stringify({ ...record, absoluteExpiresAt: Date.now() - 1 }), "KEEPTTL");
    expect(await getAdminSession(id)).toBeNull();
    expect(await redis.exists(key)).toBe(0);
  });

  it("end on the next request once the role is gone, however it went (even a direct database change)", async () => {
    const w = await adminOf();
    const id = await open(w.workspaceId, w.adminUserId);
    expect(await getAdminSession(id)).toMatchObject({ role: "admin" });
    await db.membership.update({ where: { workspaceId_userId: { workspaceId: w.workspaceId, userId: w.adminUserId } }, data: { role: "member" } });
    expect(await getAdminSession(id)).toBe("lost_role");
    // Ended, not merely refused: restoring the role does not bring it back.
    await db.membership.update({ where: { workspaceId_userId: { workspaceId: w.workspaceId, userId: w.adminUserId } }, data: { role: "admin" } });
    expect(await getAdminSession(id)).toBeNull();
  });

  it("are ended at once by a demotion to member, and listed no more", async () => {
    const w = await adminOf();
    const id = await open(w.workspaceId, w.adminUserId);
    await changeMemberRole({ workspaceId: w.workspaceId, userId: w.adminUserId, role: "member", acting: { userId: w.ownerUserId }, actor });
    expect(await redis.exists(redisKeys.adminSession(sha256Hex(id)))).toBe(0);
    expect((await listAdminSessions({ workspaceId: w.workspaceId })).map((s) => s.userId)).not.toContain(w.adminUserId);
  });

  it("a removal ends the user's portal and admin sessions and revokes their running jobs at once", async () => {
    const w = await adminOf();
    const adminId = await open(w.workspaceId, w.adminUserId);
    const portal = await createPortalSession({ workspaceId: w.workspaceId, userId: w.adminUserId, method: "link" });
    const job = await makeJob(w.workspaceId, w.adminTelegramId);
    await removeMember({ workspaceId: w.workspaceId, userId: w.adminUserId, actor, acting: { userId: w.ownerUserId } });
    expect(await redis.exists(redisKeys.adminSession(sha256Hex(adminId)))).toBe(0);
    expect(await redis.exists(redisKeys.portalSession(sha256Hex(portal.id)))).toBe(0);
    expect(await getJobStatus({ workspaceId: w.workspaceId, jobId: job.jobId })).toBe("revoked");
    // The worker still asking gets the one credentials 403 (SPEC §6, "membership gone").
    await expect(serveCredentials({ token: job.token, jobId: job.jobId })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("an admin cannot remove another admin; an owner can", async () => {
    const w = await adminOf();
    const other = await makeMember(w.workspaceId);
    await changeRole({ workspaceId: w.workspaceId, userId: other.userId, role: "admin", acting: "operator", actor });
    await expect(removeMember({ workspaceId: w.workspaceId, userId: other.userId, actor, acting: { userId: w.adminUserId } })).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeMember({ workspaceId: w.workspaceId, userId: other.userId, actor, acting: { userId: w.ownerUserId } })).resolves.toEqual({ removed: true });
  });

  it("the requester's role is the one under the lock: an owner demoted a moment earlier can no longer make owners", async () => {
    const w = await adminOf();
    const second = await makeMember(w.workspaceId);
    await changeRole({ workspaceId: w.workspaceId, userId: second.userId, role: "owner", acting: "operator", actor });
    // The session said "owner" when the request came in; by the time it runs, another owner demoted them.
    await changeRole({ workspaceId: w.workspaceId, userId: w.ownerUserId, role: "admin", acting: { userId: second.userId }, actor });
    await expect(changeRole({ workspaceId: w.workspaceId, userId: w.adminUserId, role: "owner", acting: { userId: w.ownerUserId }, actor })).rejects.toMatchObject({ code: "forbidden" });
    await expect(removeMember({ workspaceId: w.workspaceId, userId: second.userId, actor, acting: { userId: w.ownerUserId } })).rejects.toMatchObject({ code: "forbidden" });
  });

  it("list every admin and portal session of the workspace, and another workspace's ref ends nothing", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const aId = await open(a.workspaceId, a.ownerUserId);
    const bPortal = await createPortalSession({ workspaceId: b.workspaceId, userId: b.ownerUserId, method: "link" });
    const aRef = sha256Hex(aId);
    expect((await listAdminSessions({ workspaceId: a.workspaceId })).map((s) => s.ref)).toEqual([aRef]);
    expect(await listAdminSessions({ workspaceId: b.workspaceId })).toEqual([]);
    expect((await listWorkspacePortalSessions({ workspaceId: b.workspaceId })).map((s) => s.ref)).toEqual([sha256Hex(bPortal.id)]);
    // Cross-tenant: B's admin cannot end A's session, nor A's admin B's portal session.
    expect(await revokeAdminSession({ workspaceId: b.workspaceId, ref: aRef, actor })).toBe(false);
    expect(await endWorkspacePortalSession({ workspaceId: a.workspaceId, ref: sha256Hex(bPortal.id), actor })).toBe(false);
    expect(await getAdminSession(aId)).not.toBeNull();
    expect(await getPortalSession(bPortal.id)).not.toBeNull();
    // In its own workspace it ends at once.
    expect(await revokeAdminSession({ workspaceId: a.workspaceId, ref: aRef, actor })).toBe(true);
    expect(await getAdminSession(aId)).toBeNull();
    expect(await endWorkspacePortalSession({ workspaceId: b.workspaceId, ref: sha256Hex(bPortal.id), actor })).toBe(true);
    expect(await getPortalSession(bPortal.id)).toBeNull();
  });

  it("sign-out ends only the cookie's session and audits it", async () => {
    const ws = await makeWorkspace();
    const one = await open(ws.workspaceId, ws.ownerUserId);
    const two = await open(ws.workspaceId, ws.ownerUserId);
    await endAdminSessionById(one);
    expect(await getAdminSession(one)).toBeNull();
    expect(await getAdminSession(two)).not.toBeNull();
    const actions = await db.auditEvent.findMany({ where: { workspaceId: ws.workspaceId, action: { startsWith: "admin.session." } }, select: { action: true, data: true } });
    expect(actions.map((a) => a.action).sort()).toEqual(["admin.session.created", "admin.session.created", "admin.session.revoked"]);
    expect(JSON.stringify(actions)).not.toContain(one);
  });
});

describe("ownership hand-over", () => {
  it("makes the other member owner and the previous owner admin, in one step; a non-owner cannot", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    await expect(transferOwnership({ workspaceId: ws.workspaceId, fromUserId: m.userId, toUserId: ws.ownerUserId, actor })).rejects.toMatchObject({ code: "forbidden" });
    await transferOwnership({ workspaceId: ws.workspaceId, fromUserId: ws.ownerUserId, toUserId: m.userId, actor });
    const roles = await db.membership.findMany({ where: { workspaceId: ws.workspaceId }, select: { userId: true, role: true } });
    expect(Object.fromEntries(roles.map((r) => [r.userId, r.role]))).toEqual({ [ws.ownerUserId]: "admin", [m.userId]: "owner" });
  });

  it("two owners handing over to each other at once run one after the other: the workspace always keeps an owner", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    await changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "owner", acting: "operator", actor });
    const results = await Promise.allSettled([
      transferOwnership({ workspaceId: ws.workspaceId, fromUserId: ws.ownerUserId, toUserId: m.userId, actor }),
      transferOwnership({ workspaceId: ws.workspaceId, fromUserId: m.userId, toUserId: ws.ownerUserId, actor }),
    ]);
    // Serialised by the workspace lock: the second sees the first's result (a co-owner handing back), never a torn state.
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "forbidden" });
    expect(await db.membership.count({ where: { workspaceId: ws.workspaceId, role: "owner" } })).toBe(1);
  });
});
