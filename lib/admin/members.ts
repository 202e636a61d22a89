// The admin Members page's rows (SPEC §13): identities, bound account, role, joined, last seen. Nothing secret.
import "server-only";
import { lastActivityOf } from "../audit/list";
import { db } from "../db/client";
import { listMembers, type MemberSummary } from "../members/roles";

export type AdminMemberRow = MemberSummary & { boundAccount: { since: Date } | null; lastSeenAt: Date | null };

export async function listMembersForAdmin({ workspaceId, settingsProvider }: { workspaceId: string; settingsProvider: string | null }): Promise<AdminMemberRow[]> {
  const members = await listMembers({ workspaceId });
  const userIds = members.map((m) => m.userId);
  const [bindings, lastSeen] = await Promise.all([
    settingsProvider ? db.oAuthBinding.findMany({ where: { provider: settingsProvider, userId: { in: userIds } }, select: { userId: true, createdAt: true } }) : [],
    lastActivityOf({ workspaceId, userIds }),
  ]);
  const bound = new Map(bindings.map((b) => [b.userId, b.createdAt]));
  return members.map((m) => {
    const since = bound.get(m.userId);
    return { ...m, boundAccount: since ? { since } : null, lastSeenAt: lastSeen.get(m.userId) ?? null };
  });
}
