import "server-only";
import { db } from "../db/client";
import { PROVIDER_ID_PATTERN } from "../links/purpose";

/** Whether the workspace has configured this provider (SPEC §12). Never another workspace's. */
export async function providerExists({ workspaceId, providerId }: { workspaceId: string; providerId: string }): Promise<boolean> {
  if (!PROVIDER_ID_PATTERN.test(providerId)) return false;
  const row = await db.provider.findUnique({ where: { workspaceId_id: { workspaceId, id: providerId } }, select: { id: true } });
  return row !== null;
}
