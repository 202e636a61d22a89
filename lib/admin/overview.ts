// The admin Overview's numbers (SPEC §13): a handful of counts, each one indexed query.
import "server-only";
import { db } from "../db/client";

export type AdminCounts = { members: number; admins: number; runningJobs: number; activeServiceTokens: number };

export async function countWorkspace({ workspaceId }: { workspaceId: string }): Promise<AdminCounts> {
  const now = new Date();
  const [members, admins, runningJobs, activeServiceTokens] = await Promise.all([
    db.membership.count({ where: { workspaceId } }),
    db.membership.count({ where: { workspaceId, role: { in: ["owner", "admin"] } } }),
    db.job.count({ where: { workspaceId, status: "running", expiresAt: { gt: now } } }),
    db.token.count({ where: { workspaceId, kind: "service", revokedAt: null, expiresAt: { gt: now } } }),
  ]);
  return { members, admins, runningJobs, activeServiceTokens };
}
