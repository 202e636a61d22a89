// Removing a member (SPEC §4, §13): the membership goes, and with it, at once, everything it carried: the
// user's portal sessions in that workspace. Sessions also re-check membership on every request; this makes
// the end immediate and visible.
import "server-only";
import type { AuditActor } from "../audit";
import { deleteMembership } from "../members/membership";
import { revokeOtherPortalSessions } from "../portal/sessions";

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
  await deleteMembership({ workspaceId, userId, actor, ip });
  await revokeOtherPortalSessions({ workspaceId, userId, actor, ip, reason: "membership_removed" });
  return { removed: true };
}
