import "server-only";
import { listMembers } from "../members/roles";

/** Display names of the workspace's members by user id (a user no longer a member has none). */
export async function memberNames({ workspaceId }: { workspaceId: string }): Promise<Map<string, string>> {
  const members = await listMembers({ workspaceId });
  return new Map(members.map((m) => [m.userId, m.name ?? m.identities[0] ?? m.userId.slice(0, 8)]));
}
