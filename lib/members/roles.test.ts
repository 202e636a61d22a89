// Roles (SPEC §9 `member role|list`, §13): owner > admin > member; only owners touch the admin and owner roles; the
// last owner keeps the role however the changes race; every change is audited.
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { makeMember, makeWorkspace } from "@/test/factories";
import { canChangeRole, canIssueInvite, canRemoveMember } from "../permissions";
import { changeRole, listMembers } from "./roles";

const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };

describe("permissions", () => {
  it("owners grant and remove admin and owner; admins only what concerns members; members nothing", () => {
    expect(canChangeRole("owner", { from: "member", to: "admin" })).toBe(true);
    expect(canChangeRole("owner", { from: "admin", to: "owner" })).toBe(true);
    expect(canChangeRole("admin", { from: "member", to: "admin" })).toBe(false);
    expect(canChangeRole("admin", { from: "admin", to: "member" })).toBe(false);
    expect(canChangeRole("admin", { from: "member", to: "owner" })).toBe(false);
    expect(canChangeRole("member", { from: "member", to: "admin" })).toBe(false);
    expect(canChangeRole("operator", { from: "owner", to: "member" })).toBe(true);
    expect([canRemoveMember("admin", "member"), canRemoveMember("admin", "admin"), canRemoveMember("admin", "owner"), canRemoveMember("member", "member")]).toEqual([true, false, false, false]);
    expect([canIssueInvite("admin", "member"), canIssueInvite("admin", "admin"), canIssueInvite("owner", "admin"), canIssueInvite("member", "member")]).toEqual([true, false, true, false]);
  });
});

describe("changeRole", () => {
  it("changes a role, audited with from and to; the same role again changes nothing", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    expect(await changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "admin", ...operator })).toEqual({ userId: m.userId, role: "admin" });
    expect(await changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "admin", ...operator })).toEqual({ userId: m.userId, role: "admin" });
    const audit = await db.auditEvent.findMany({ where: { workspaceId: ws.workspaceId, action: "member.role_changed" } });
    expect(audit.map((a) => ({ target: a.target, data: a.data }))).toEqual([{ target: `user:${m.userId}`, data: { from: "member", to: "admin" } }]);
  });

  it("refuses an admin granting admin, a non-member, and demoting the only owner", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    const admin = await makeMember(ws.workspaceId);
    await changeRole({ workspaceId: ws.workspaceId, userId: admin.userId, role: "admin", ...operator });
    await expect(changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "admin", acting: { userId: admin.userId }, actor: { type: "admin", id: admin.userId } })).rejects.toMatchObject({ code: "forbidden" });
    // Someone who is no member at all is refused whatever they ask.
    const stranger = await makeWorkspace();
    await expect(changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "member", acting: { userId: stranger.ownerUserId }, actor: { type: "admin", id: stranger.ownerUserId } })).rejects.toMatchObject({ code: "forbidden" });
    const other = await makeWorkspace();
    await expect(changeRole({ workspaceId: other.workspaceId, userId: m.userId, role: "admin", ...operator })).rejects.toMatchObject({ code: "not_found" });
    await expect(changeRole({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, role: "member", ...operator })).rejects.toMatchObject({ code: "last_owner" });
    expect((await db.membership.findUnique({ where: { workspaceId_userId: { workspaceId: ws.workspaceId, userId: m.userId } } }))?.role).toBe("member");
  });

  it("two owners demoting each other at once: exactly one succeeds (the other is no owner any more when its turn comes), and the workspace keeps an owner", async () => {
    const ws = await makeWorkspace();
    const second = await makeMember(ws.workspaceId);
    await changeRole({ workspaceId: ws.workspaceId, userId: second.userId, role: "owner", ...operator });
    const results = await Promise.allSettled([
      changeRole({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, role: "admin", acting: { userId: second.userId }, actor: { type: "user", id: second.userId } }),
      changeRole({ workspaceId: ws.workspaceId, userId: second.userId, role: "admin", acting: { userId: ws.ownerUserId }, actor: { type: "user", id: ws.ownerUserId } }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["forbidden"]);
    expect(await db.membership.count({ where: { workspaceId: ws.workspaceId, role: "owner" } })).toBe(1);
  });

  it("hands ownership over: the new owner first, then the old one steps down", async () => {
    const ws = await makeWorkspace();
    const heir = await makeMember(ws.workspaceId);
    await changeRole({ workspaceId: ws.workspaceId, userId: heir.userId, role: "owner", acting: { userId: ws.ownerUserId }, actor: { type: "user", id: ws.ownerUserId } });
    await changeRole({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, role: "member", acting: { userId: ws.ownerUserId }, actor: { type: "user", id: ws.ownerUserId } });
    const members = await listMembers({ workspaceId: ws.workspaceId });
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      [heir.userId, "owner"],
      [ws.ownerUserId, "member"],
    ]);
    expect(members[0]!.identities).toEqual([`telegram:${heir.telegramId}`]);
  });
});
