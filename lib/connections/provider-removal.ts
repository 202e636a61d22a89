// Removing a provider (CLI `provider remove`, SPEC §9/§12): every user's connection to it is disconnected first, like
// the user's own Disconnect (revoked at the provider where it has an endpoint, deleted, audited with the reason),
// then the provider goes. A connection made meanwhile is deleted with the provider (cascade) and audited below.
import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db } from "../db/client";
import { AppError } from "../errors";
import { disconnect } from "./connect";
import { assertProviderId, removeProvider } from "./providers";

export async function removeProviderAndConnections({ workspaceId, id, actor }: { workspaceId: string; id: unknown; actor: AuditActor }): Promise<{ removed: true; disconnected: number }> {
  assertProviderId(id);
  const connections = await db.connection.findMany({ where: { workspaceId, kind: "provider", providerId: id }, select: { id: true, userId: true }, orderBy: { id: "asc" } });
  let disconnected = 0;
  for (const c of connections) {
    try {
      await disconnect({ workspaceId, userId: c.userId, connectionId: c.id, ip: null, actor, reason: "provider_removed" });
      disconnected++;
    } catch (err) {
      // Gone already (the user disconnected it meanwhile): nothing left to revoke.
      if (!(err instanceof AppError && err.code === "not_found")) throw err;
    }
  }
  const leftovers = await db.connection.findMany({ where: { workspaceId, kind: "provider", providerId: id }, select: { id: true } });
  const result = await removeProvider({ workspaceId, id, actor });
  for (const c of leftovers) {
    await appendAuditEvent({ workspaceId, actor, action: "connection.disconnected", target: `provider:${id}`, data: { connectionId: c.id, revocation: "failed", reason: "provider_removed" } });
  }
  return { ...result, disconnected };
}
