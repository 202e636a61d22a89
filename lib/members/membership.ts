import "server-only";
import type { Role } from "@/generated/prisma/client";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db, type Tx } from "../db/client";
import { lockWorkspace } from "../db/locks";
import { transactWithRetry } from "../db/retry";
import { AppError } from "../errors";
import { canRemoveMember, type Acting, type Requester } from "../permissions";
import { formatPlatformIdentity, type PlatformIdentityRef } from "../identity/platform";
import { attachPlatformIdentity, findOrCreateUserByIdentity } from "../identity/users";

/** The requester's role now, read in `tx` after the workspace lock was taken; a requester who is no member is refused. */
export async function requesterRole(tx: Tx, workspaceId: string, requester: Requester): Promise<Acting> {
  if (requester === "operator") return "operator";
  const membership = await getMembership({ workspaceId, userId: requester.userId }, tx);
  if (!membership) throw new AppError("forbidden", "You are no longer a member of this workspace.");
  return membership.role;
}

export async function getMembership({ workspaceId, userId }: { workspaceId: string; userId: string }, tx: Tx = db) {
  return tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
}

export async function insertOwnerMembership(tx: Tx, { workspaceId, userId }: { workspaceId: string; userId: string }) {
  await tx.membership.create({ data: { workspaceId, userId, role: "owner" } });
}

export async function listMembershipsOfUser({ userId }: { userId: string }) {
  const rows = await db.membership.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, workspace: { select: { id: true, name: true } } },
  });
  return rows.map((r) => ({ workspaceId: r.workspace.id, workspaceName: r.workspace.name, role: r.role }));
}

export type NewMember = {
  workspaceId: string;
  identity: PlatformIdentityRef;
  displayName?: string;
  role?: Role;
  actor: AuditActor;
  ip?: string | null;
  /** More for `member.added` (e.g. the invite it came through). */
  auditData?: Record<string, unknown>;
};

/** A known identity is the same person everywhere (SPEC §2), so their existing user gains a membership. */
export async function addMember(input: NewMember): Promise<{ userId: string }> {
  return transactWithRetry(async (tx) => {
    await lockWorkspace(tx, input.workspaceId);
    return insertMember(tx, input);
  });
}

/** addMember's rule inside the caller's transaction, which holds the workspace lock (lib/db/locks). */
export async function insertMember(tx: Tx, { workspaceId, identity, displayName, role = "member", actor, ip, auditData }: NewMember): Promise<{ userId: string }> {
  const { userId } = await findOrCreateUserByIdentity(tx, { identity, displayName });
  const existing = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
  if (existing) {
    throw new AppError("already_member", `${formatPlatformIdentity(identity)} is already a member of this workspace (as ${existing.role}).`);
  }
  await tx.membership.create({ data: { workspaceId, userId, role } });
  await appendAuditEvent(
    { workspaceId, actor, action: "member.added", target: `user:${userId}`, ip, data: { ...auditData, role, identity: formatPlatformIdentity(identity) } },
    tx,
  );
  return { userId };
}

/** A member's further chat account (e.g. their Slack user beside their Telegram one). Audited once; again is a no-op. */
export async function addMemberIdentity({
  workspaceId,
  userId,
  identity,
  actor,
  ip,
}: {
  workspaceId: string;
  userId: string;
  identity: PlatformIdentityRef;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ added: boolean }> {
  return transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    if (!(await getMembership({ workspaceId, userId }, tx))) throw new AppError("not_found", "That user is not a member of this workspace.");
    const { attached } = await attachPlatformIdentity(tx, { userId, identity });
    if (attached) {
      await appendAuditEvent({ workspaceId, actor, action: "member.identity_added", target: `user:${userId}`, ip, data: { identity: formatPlatformIdentity(identity) } }, tx);
    }
    return { added: attached };
  });
}

export type MembershipChange = { workspaceId: string; userId: string; actor: AuditActor; ip?: string | null; /** Who asks; their role is read under the workspace lock. */ acting: Requester };

/** Ending what it leaves behind (sessions, jobs) is the removal flow's job. */
export async function deleteMembership({ workspaceId, userId, actor, ip, acting }: MembershipChange): Promise<void> {
  await transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const membership = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (!membership) throw new AppError("not_found", "That user is not a member of this workspace.");
    if (!canRemoveMember(await requesterRole(tx, workspaceId, acting), membership.role)) throw new AppError("forbidden", "Only an owner can remove an owner or an admin.");
    if (membership.role === "owner") {
      const owners = await tx.membership.count({ where: { workspaceId, role: "owner" } });
      if (owners <= 1) throw new AppError("last_owner", "This is the workspace's only owner; make someone else owner first.");
    }
    await tx.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } } });
    await appendAuditEvent({ workspaceId, actor, action: "member.removed", target: `user:${userId}`, ip, data: { role: membership.role } }, tx);
  });
}
