// Roles and the member list (SPEC §9 `member role|list`, §13). A role change is serialised per workspace (the
// workspace lock, like add and remove), so two owners demoting each other at once cannot leave it ownerless.
import "server-only";
import type { Role } from "@/generated/prisma/client";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db } from "../db/client";
import { lockWorkspace } from "../db/locks";
import { transactWithRetry } from "../db/retry";
import { AppError } from "../errors";
import { formatPlatformIdentity } from "../identity/platform";
import { canChangeRole, type Requester } from "../permissions";
import { requesterRole } from "./membership";

export const ROLES = ["owner", "admin", "member"] as const satisfies readonly Role[];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export async function changeRole({
  workspaceId,
  userId,
  role,
  acting,
  actor,
  ip,
}: {
  workspaceId: string;
  userId: string;
  role: Role;
  /** Who asks ("operator" for the CLI); a user's role is read under the workspace lock. */
  acting: Requester;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ userId: string; role: Role }> {
  return transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const membership = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (!membership) throw new AppError("not_found", "That user is not a member of this workspace.");
    const from = membership.role;
    if (!canChangeRole(await requesterRole(tx, workspaceId, acting), { from, to: role })) throw new AppError("forbidden", "Only an owner can grant or remove the admin or owner role.");
    if (from === role) return { userId, role };
    if (from === "owner") {
      const owners = await tx.membership.count({ where: { workspaceId, role: "owner" } });
      if (owners <= 1) throw new AppError("last_owner", "This is the workspace's only owner; make someone else owner first.");
    }
    await tx.membership.update({ where: { workspaceId_userId: { workspaceId, userId } }, data: { role } });
    await appendAuditEvent({ workspaceId, actor, action: "member.role_changed", target: `user:${userId}`, ip, data: { from, to: role } }, tx);
    return { userId, role };
  });
}

/**
 * An owner handing the workspace over: `toUserId` becomes owner and the previous owner becomes an admin, in one
 * transaction under the workspace lock, so the workspace is never without an owner nor briefly with a lost one.
 */
export async function transferOwnership({
  workspaceId,
  fromUserId,
  toUserId,
  actor,
  ip,
}: {
  workspaceId: string;
  fromUserId: string;
  toUserId: string;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ owner: string; previousOwnerRole: Role }> {
  return transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const [from, to] = await Promise.all([
      tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId: fromUserId } }, select: { role: true } }),
      tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId: toUserId } }, select: { role: true } }),
    ]);
    if (from?.role !== "owner") throw new AppError("forbidden", "Only an owner can hand over ownership.");
    if (fromUserId === toUserId) throw new AppError("conflict", "You already own this workspace.");
    if (!to) throw new AppError("not_found", "That user is not a member of this workspace.");
    if (to.role !== "owner") {
      await tx.membership.update({ where: { workspaceId_userId: { workspaceId, userId: toUserId } }, data: { role: "owner" } });
      await appendAuditEvent({ workspaceId, actor, action: "member.role_changed", target: `user:${toUserId}`, ip, data: { from: to.role, to: "owner", handover: true } }, tx);
    }
    await tx.membership.update({ where: { workspaceId_userId: { workspaceId, userId: fromUserId } }, data: { role: "admin" } });
    await appendAuditEvent({ workspaceId, actor, action: "member.role_changed", target: `user:${fromUserId}`, ip, data: { from: "owner", to: "admin", handover: true } }, tx);
    return { owner: toUserId, previousOwnerRole: "admin" as const };
  });
}

export type MemberSummary = { userId: string; name: string | null; role: Role; joinedAt: Date; identities: string[] };

/** Everyone in the workspace, owners first, with their platform identities; nothing secret. */
export async function listMembers({ workspaceId }: { workspaceId: string }): Promise<MemberSummary[]> {
  // lib/workspaces builds on this folder: the workspace is looked up here directly.
  if (!(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) throw new AppError("not_found", "No such workspace.");
  const rows = await db.membership.findMany({
    where: { workspaceId },
    orderBy: [{ createdAt: "asc" }, { userId: "asc" }],
    take: 10_000,
    select: {
      role: true,
      createdAt: true,
      user: { select: { id: true, displayName: true, identities: { select: { platform: true, externalId: true }, orderBy: { createdAt: "asc" } } } },
    },
  });
  const rank: Record<Role, number> = { owner: 0, admin: 1, member: 2 };
  return rows
    .map((r) => ({
      userId: r.user.id,
      name: r.user.displayName,
      role: r.role,
      joinedAt: r.createdAt,
      identities: r.user.identities.map((i) => formatPlatformIdentity({ platform: i.platform as "telegram" | "slack", externalId: i.externalId })),
    }))
    .sort((a, b) => rank[a.role] - rank[b.role]);
}
