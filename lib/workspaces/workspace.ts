import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db, type Tx } from "../db/client";
import { transactWithRetry } from "../db/retry";
import { AppError } from "../errors";
import { findOrCreateUserByIdentity } from "../identity/users";
import { formatPlatformIdentity, type PlatformIdentityRef } from "../identity/platform";
import { insertOwnerMembership } from "../members/membership";

export function validateWorkspaceName(name: string) {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) {
    throw new AppError("validation_failed", "A workspace name must be 1 to 100 characters.");
  }
  return trimmed;
}

/** Creates a workspace with its first owner (an existing user if the identity is known). Audited. */
export async function createWorkspace({
  name,
  owner,
  ownerName,
  actor,
}: {
  name: string;
  owner: PlatformIdentityRef;
  ownerName?: string;
  actor: AuditActor;
}): Promise<{ workspaceId: string; ownerUserId: string }> {
  const workspaceName = validateWorkspaceName(name);
  return transactWithRetry(async (tx) => {
    const { userId } = await findOrCreateUserByIdentity(tx, { identity: owner, displayName: ownerName });
    const workspace = await tx.workspace.create({ data: { name: workspaceName }, select: { id: true } });
    await insertOwnerMembership(tx, { workspaceId: workspace.id, userId });
    await appendAuditEvent({ workspaceId: workspace.id, actor, action: "workspace.created", target: `workspace:${workspace.id}`, data: { name: workspaceName } }, tx);
    await appendAuditEvent(
      {
        workspaceId: workspace.id,
        actor,
        action: "member.added",
        target: `user:${userId}`,
        data: { role: "owner", identity: formatPlatformIdentity(owner) },
      },
      tx,
    );
    return { workspaceId: workspace.id, ownerUserId: userId };
  });
}

export async function getWorkspaceName(workspaceId: string): Promise<string | null> {
  const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, select: { name: true } });
  return workspace?.name ?? null;
}

export async function workspaceExists(tx: Tx, workspaceId: string): Promise<boolean> {
  return (await tx.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } })) !== null;
}
