// The portal's Activity: the user's own audit events in this workspace, including those about the jobs they own.
import "server-only";
import { listUserActivity } from "../audit/list";
import { listJobIdsOfOwner } from "../jobs/lifecycle";

export async function listPortalActivity({ workspaceId, userId, beforeSeq }: { workspaceId: string; userId: string; beforeSeq?: number }) {
  const jobIds = await listJobIdsOfOwner({ workspaceId, userId });
  return listUserActivity({ workspaceId, userId, jobIds, beforeSeq });
}
