// Sessions re-check membership on every request anyway; ending them here makes removal immediate and visible (SPEC §4, §13).
import "server-only";
import { deleteMembership, type MembershipChange } from "../members/membership";
import { revokeOtherPortalSessions } from "../portal/sessions";

export async function removeMember({ workspaceId, userId, actor, ip }: MembershipChange): Promise<{ removed: true }> {
  await deleteMembership({ workspaceId, userId, actor, ip });
  await revokeOtherPortalSessions({ workspaceId, userId, actor, ip, reason: "membership_removed" });
  return { removed: true };
}
