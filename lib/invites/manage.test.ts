// Issuing, listing and revoking invites (SPEC §13): only the code's hash is stored, the permissions of §13 hold for
// issuing and revoking alike, the data itself refuses impossible invites, and every change is audited without the code.
import { createHash, randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { makeMember, makeWorkspace, randomTelegramId } from "@/test/factories";
import { INVITE_CODE_PATTERN } from "./code";
import { changeRole } from "@/lib/members/roles";
import { createInvite, listInvites, revokeInvite } from "./manage";
import { redeemInvite } from "./redeem";

afterAll(closeLazyClients);

const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };
const sha256 = (s: string) => createHash("sha256").update(s).digest();
const auditOf = (workspaceId: string, action: string) =>
  db.auditEvent.findMany({ where: { workspaceId, action }, orderBy: { seq: "asc" }, select: { actorType: true, actorId: true, target: true, data: true } });

describe("createInvite", () => {
  it("returns the code once and stores only its SHA-256; the defaults are one use, 7 days, role member; audited without the code", async () => {
    const { workspaceId } = await makeWorkspace();
    const before = Date.now();
    const created = await createInvite({ workspaceId, label: "  New hires  ", ...operator });
    expect(created.code).toMatch(INVITE_CODE_PATTERN);
    expect(created.expiresAt.getTime() - before).toBeGreaterThanOrEqual(7 * 86400_000 - 1000);
    expect(created.expiresAt.getTime() - before).toBeLessThanOrEqual(7 * 86400_000 + 1000);

    // The default select leaves the hash out; asked for, it is the digest, and the code is nowhere in the row.
    const row = await db.invite.findUniqueOrThrow({ where: { id: created.inviteId } });
    expect(row).not.toHaveProperty("codeHash");
    expect(row).toMatchObject({ workspaceId, label: "New hires", role: "member", maxUses: 1, uses: 0, revokedAt: null, createdByUserId: null });
    const { codeHash } = await db.invite.findUniqueOrThrow({ where: { id: created.inviteId }, select: { codeHash: true } });
    expect(Buffer.from(codeHash).equals(sha256(created.code))).toBe(true);
    const dump = JSON.stringify(await db.$queryRaw`SELECT * FROM invites WHERE id = ${created.inviteId}::uuid`);
    expect(dump).not.toContain(created.code.slice(7));

    const audit = await auditOf(workspaceId, "invite.created");
    expect(audit).toEqual([
      {
        actorType: "system",
        actorId: "test",
        target: `invite:${created.inviteId}`,
        data: { inviteId: created.inviteId, role: "member", maxUses: 1, expiresAt: created.expiresAt.toISOString(), label: "New hires" },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(created.code.slice(7));
  });

  it("admins issue member invites; only owners (and the operator) issue admin invites; members none; never owner", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const adminUser = await makeMember(workspaceId);
    await changeRole({ workspaceId, userId: adminUser.userId, role: "admin", ...operator });
    const plain = await makeMember(workspaceId);
    const as = (userId: string) => ({ acting: { userId }, actor: { type: "admin" as const, id: userId } });
    await expect(createInvite({ workspaceId, ...as(adminUser.userId), role: "member" })).resolves.toMatchObject({ inviteId: expect.any(String) });
    await expect(createInvite({ workspaceId, ...as(adminUser.userId), role: "admin" })).rejects.toMatchObject({ code: "forbidden", status: 403 });
    await expect(createInvite({ workspaceId, ...as(plain.userId), role: "member" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(createInvite({ workspaceId, ...as(ownerUserId), role: "admin" })).resolves.toMatchObject({ inviteId: expect.any(String) });
    // Someone of another workspace is nobody here.
    await expect(createInvite({ workspaceId, ...as((await makeWorkspace()).ownerUserId), role: "member" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(createInvite({ workspaceId, ...operator, role: "admin" })).resolves.toMatchObject({ inviteId: expect.any(String) });
    await expect(createInvite({ workspaceId, ...operator, role: "owner" as "admin" })).rejects.toMatchObject({ code: "validation_failed" });
    expect(await db.invite.count({ where: { workspaceId } })).toBe(3);
    // An admin's invite names them as its creator.
    const [mine] = await db.invite.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" }, take: 1, select: { createdByUserId: true } });
    expect(mine?.createdByUserId).toBe(adminUser.userId);
  });

  it("refuses a use limit outside 1..1000, an expiry outside 1 s..30 days, a long or multi-line label, an unknown workspace", async () => {
    const { workspaceId } = await makeWorkspace();
    for (const maxUses of [0, 1001, 1.5, Number.NaN]) {
      await expect(createInvite({ workspaceId, ...operator, maxUses }), String(maxUses)).rejects.toMatchObject({ code: "validation_failed" });
    }
    for (const expiresInSeconds of [0, 30 * 86400 + 1, 2.5]) {
      await expect(createInvite({ workspaceId, ...operator, expiresInSeconds }), String(expiresInSeconds)).rejects.toMatchObject({ code: "validation_failed" });
    }
    for (const label of ["x".repeat(101), "two\nlines", "bidi\u202Eflip"]) {
      await expect(createInvite({ workspaceId, ...operator, label })).rejects.toMatchObject({ code: "validation_failed" });
    }
    await expect(createInvite({ workspaceId, ...operator, maxUses: 1000, expiresInSeconds: 30 * 86400, label: "x".repeat(100) })).resolves.toBeDefined();
    await expect(createInvite({ workspaceId, ...operator, expiresInSeconds: 1 })).resolves.toBeDefined();
    await expect(createInvite({ workspaceId: randomUUID(), ...operator })).rejects.toMatchObject({ code: "not_found" });
    expect(await db.invite.count({ where: { workspaceId } })).toBe(2);
  });

  it("the data refuses more uses than the limit, a limit outside 1..1000, an owner invite and a long label", async () => {
    const { workspaceId } = await makeWorkspace();
    const { inviteId } = await createInvite({ workspaceId, ...operator, maxUses: 2 });
    const id = inviteId;
    for (const change of [
      db.$executeRaw`UPDATE invites SET uses = 3 WHERE id = ${id}::uuid`,
      db.$executeRaw`UPDATE invites SET uses = -1 WHERE id = ${id}::uuid`,
      db.$executeRaw`UPDATE invites SET max_uses = 1001 WHERE id = ${id}::uuid`,
      db.$executeRaw`UPDATE invites SET max_uses = 0, uses = 0 WHERE id = ${id}::uuid`,
      db.$executeRaw`UPDATE invites SET role = 'owner' WHERE id = ${id}::uuid`,
      db.$executeRaw`UPDATE invites SET label = ${"x".repeat(101)} WHERE id = ${id}::uuid`,
    ]) {
      await expect(change).rejects.toThrow(/check constraint/);
    }
    // A redemption row must name an invite of its own workspace.
    const other = await makeWorkspace();
    await expect(db.inviteRedemption.create({ data: { inviteId: id, workspaceId: other.workspaceId, userId: other.ownerUserId } })).rejects.toThrow();
  });
});

describe("listInvites", () => {
  it("lists the workspace's invites newest first with state, creator and redemptions; nothing of the code", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace({ ownerName: "Olga" });
    const active = await createInvite({ workspaceId, ...operator, label: "team", maxUses: 3 });
    const revoked = await createInvite({ workspaceId, ...operator });
    await revokeInvite({ inviteId: revoked.inviteId, ...operator });
    const usedUp = await createInvite({ workspaceId, acting: { userId: ownerUserId }, actor: { type: "admin", id: ownerUserId }, role: "admin" });
    const joiner = randomTelegramId();
    const joined = await redeemInvite({ workspaceId, code: usedUp.code, user: { platform: "telegram", id: joiner, name: "Jo" }, ip: "10.9.0.1" });
    const expired = await createInvite({ workspaceId, ...operator, expiresInSeconds: 1 });
    await db.invite.update({ where: { id: expired.inviteId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await createInvite({ workspaceId: (await makeWorkspace()).workspaceId, ...operator });

    const list = await listInvites({ workspaceId });
    expect(list.map((i) => [i.id, i.state])).toEqual([
      [expired.inviteId, "expired"],
      [usedUp.inviteId, "used_up"],
      [revoked.inviteId, "revoked"],
      [active.inviteId, "active"],
    ]);
    expect(list[1]).toEqual({
      id: usedUp.inviteId,
      label: "",
      role: "admin",
      uses: 1,
      maxUses: 1,
      expiresAt: usedUp.expiresAt,
      revokedAt: null,
      createdAt: expect.any(Date),
      state: "used_up",
      createdBy: { userId: ownerUserId, name: "Olga" },
      redemptions: [{ userId: joined.userId, name: "Jo", at: expect.any(Date) }],
    });
    expect(list[3]).toMatchObject({ label: "team", uses: 0, maxUses: 3, createdBy: null, redemptions: [] });
    expect(list[2]!.revokedAt).toBeInstanceOf(Date);
    const text = JSON.stringify(list);
    for (const code of [active.code, revoked.code, usedUp.code, expired.code]) expect(text).not.toContain(code.slice(7));
    expect(text).not.toMatch(/codeHash|code_hash/);
    await expect(listInvites({ workspaceId: randomUUID() })).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("revokeInvite", () => {
  it("ends the invite at once, audited once; again answers the same and records nothing; by id alone or in its workspace", async () => {
    const { workspaceId } = await makeWorkspace();
    const invite = await createInvite({ workspaceId, ...operator, maxUses: 5 });
    expect(await revokeInvite({ inviteId: invite.inviteId, ...operator })).toEqual({ revoked: true });
    await expect(redeemInvite({ workspaceId, code: invite.code, user: { platform: "telegram", id: randomTelegramId() }, ip: "10.9.0.2" })).rejects.toMatchObject({ code: "invite_invalid" });
    expect(await revokeInvite({ inviteId: invite.inviteId, workspaceId, ...operator })).toEqual({ revoked: true });
    expect(await auditOf(workspaceId, "invite.revoked")).toEqual([
      { actorType: "system", actorId: "test", target: `invite:${invite.inviteId}`, data: { inviteId: invite.inviteId, role: "member" } },
    ]);
    expect((await db.invite.findUniqueOrThrow({ where: { id: invite.inviteId } })).uses).toBe(0);
  });

  it("needs the permission that issuing needs; another workspace's or an unknown invite is not found", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const member = await makeMember(workspaceId);
    const adminUser = await makeMember(workspaceId);
    await changeRole({ workspaceId, userId: adminUser.userId, role: "admin", ...operator });
    const adminInvite = await createInvite({ workspaceId, ...operator, role: "admin" });
    const memberInvite = await createInvite({ workspaceId, ...operator });
    const as = (role: "admin" | "owner") => {
      const userId = role === "owner" ? ownerUserId : adminUser.userId;
      return { acting: { userId }, actor: { type: "admin" as const, id: userId } };
    };
    await expect(revokeInvite({ inviteId: adminInvite.inviteId, workspaceId, ...as("admin") })).rejects.toMatchObject({ code: "forbidden" });
    await expect(revokeInvite({ inviteId: memberInvite.inviteId, workspaceId, acting: { userId: member.userId }, actor: { type: "user", id: member.userId } })).rejects.toMatchObject({ code: "forbidden" });
    await expect(revokeInvite({ inviteId: memberInvite.inviteId, workspaceId, ...as("admin") })).resolves.toEqual({ revoked: true });
    await expect(revokeInvite({ inviteId: adminInvite.inviteId, workspaceId, ...as("owner") })).resolves.toEqual({ revoked: true });

    const other = await makeWorkspace();
    const theirs = await createInvite({ workspaceId: other.workspaceId, ...operator });
    for (const inviteId of [theirs.inviteId, randomUUID(), "not-a-uuid"]) {
      await expect(revokeInvite({ inviteId, workspaceId, ...as("owner") })).rejects.toMatchObject({ code: "not_found", message: "No invite has that id." });
    }
    expect((await db.invite.findUniqueOrThrow({ where: { id: theirs.inviteId } })).revokedAt).toBeNull();
  });
});
