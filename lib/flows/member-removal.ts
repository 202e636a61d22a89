// What a membership change leaves behind ends with it (SPEC §4, §13): removal ends the user's portal and admin
// sessions and running jobs at once; losing the admin role ends their admin sessions. Every session also re-checks
// membership and role on each request, so this makes the change immediate and visible, not merely eventual.
import "server-only";
import type { Role } from "@/generated/prisma/client";
import { endAdminSessionsOfUser } from "../admin/sessions";
import { endJobsOfRemovedOwner } from "../jobs/lifecycle";
import { deleteMembership, type MembershipChange } from "../members/membership";
import { changeRole } from "../members/roles";
import { revokeOtherPortalSessions } from "../portal/sessions";

export async function removeMember({ workspaceId, userId, actor, ip, acting }: MembershipChange): Promise<{ removed: true }> {
  await deleteMembership({ workspaceId, userId, actor, ip, acting });
  await revokeOtherPortalSessions({ workspaceId, userId, actor, ip, reason: "membership_removed" });
  await endAdminSessionsOfUser({ workspaceId, userId, actor, ip, reason: "membership_removed" });
  await endJobsOfRemovedOwner({ workspaceId, userId, actor, ip });
  return { removed: true };
}

export async function changeMemberRole(args: MembershipChange & { role: Role }): Promise<{ userId: string; role: Role }> {
  const changed = await changeRole(args);
  if (changed.role === "member") await endAdminSessionsOfUser({ ...args, reason: "role_lost" });
  return changed;
}

