import "server-only";
import type { Role } from "@/generated/prisma/client";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { transactWithRetry } from "../db/retry";
import { AppError } from "../errors";
import { formatPlatformIdentity, type PlatformIdentityRef } from "../identity/platform";
import { findOrCreateUserByIdentity } from "../identity/users";
import { revokeOtherPortalSessions } from "../portal/sessions";
import { lockWorkspace } from "../workspaces/workspace";

export const ROLES = ["owner", "admin", "member"] as const satisfies readonly Role[];

/**
 * Adds the person behind a platform identity to a workspace. A known identity is the same person
 * everywhere (SPEC §2), so their existing user gains a membership; an unknown one becomes a new user.
 */
export async function addMember({
  workspaceId,
  identity,
  displayName,
  role = "member",
  actor,
  ip,
}: {
  workspaceId: string;
  identity: PlatformIdentityRef;
  displayName?: string;
  role?: Role;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ userId: string }> {
  return transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const { userId } = await findOrCreateUserByIdentity(tx, { identity, displayName });
    const existing = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (existing) {
      throw new AppError("already_member", `${formatPlatformIdentity(identity)} is already a member of this workspace (as ${existing.role}).`);
    }
    await tx.membership.create({ data: { workspaceId, userId, role } });
    await appendAuditEvent(
      { workspaceId, actor, action: "member.added", target: `user:${userId}`, ip, data: { role, identity: formatPlatformIdentity(identity) } },
      tx,
    );
    return { userId };
  });
}

/** Removes a membership and ends that user's portal sessions in the workspace at once. */
export async function removeMember({
  workspaceId,
  userId,
  actor,
  ip,
}: {
  workspaceId: string;
  userId: string;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ removed: true }> {
  await transactWithRetry(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const membership = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (!membership) throw new AppError("not_found", "That user is not a member of this workspace.");
    if (membership.role === "owner") {
      const owners = await tx.membership.count({ where: { workspaceId, role: "owner" } });
      if (owners <= 1) throw new AppError("last_owner", "This is the workspace's only owner; make someone else owner first.");
    }
    await tx.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } } });
    await appendAuditEvent({ workspaceId, actor, action: "member.removed", target: `user:${userId}`, ip, data: { role: membership.role } }, tx);
  });
  // Sessions also re-check membership on every request, so this only makes the end immediate and visible.
  await revokeOtherPortalSessions({ workspaceId, userId, actor, ip, reason: "membership_removed" });
  return { removed: true };
}

export { getMembership } from "../members/membership";
