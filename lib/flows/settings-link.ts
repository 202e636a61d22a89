import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { getMembership } from "../members/membership";
import { createPortalSession } from "../portal/sessions";
import { consumeLinkSession } from "../links/sessions";
import { createPendingIdentity } from "../links/pending";

export type OpenLinkResult =
  | { next: "portal"; sessionId: string; maxAgeSeconds: number }
  | { next: "identity"; pendingId: string };

/**
 * POST /settings/open: consumes the link (exactly once), then either opens a portal session directly (no
 * identity provider configured) or hands over to the identity provider with short-lived pending state.
 */
export async function openLink({
  id,
  ip,
  userAgent,
  currentSession,
}: {
  id: unknown;
  ip: string;
  userAgent: string | null;
  currentSession?: string | null;
}): Promise<OpenLinkResult> {
  const link = await consumeLinkSession(id);
  if (!link) throw new AppError("link_expired");
  const linkRef = link.idHash.slice(0, 16);
  if (!(await getMembership({ workspaceId: link.workspaceId, userId: link.userId }))) {
    await appendAuditEvent({ workspaceId: link.workspaceId, actor: { type: "system" }, action: "link.rejected", target: `user:${link.userId}`, ip, data: { link: linkRef, reason: "not_a_member" } });
    throw new AppError("link_expired");
  }
  await appendAuditEvent({ workspaceId: link.workspaceId, actor: { type: "user", id: link.userId }, action: "link.opened", target: `user:${link.userId}`, ip, data: { link: linkRef, purpose: link.purpose } });

  if (!getConfig().settingsOAuth) {
    const session = await createPortalSession({ workspaceId: link.workspaceId, userId: link.userId, method: "link", ip, userAgent, replacing: currentSession });
    return { next: "portal", sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds };
  }
  const pendingId = await createPendingIdentity({ workspaceId: link.workspaceId, userId: link.userId, link: linkRef });
  return { next: "identity", pendingId };
}
