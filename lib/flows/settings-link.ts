// The settings-link journey (SPEC §3): the GET interstitial never consumes the link; Continue consumes it once.
import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { bindOrVerifyIdentity, settingsProviderKey } from "../identity/bindings";
import { getUserSummary } from "../identity/users";
import { consumePendingIdentity, createPendingIdentity, PENDING_TTL_SECONDS } from "../links/pending";
import { consumeLinkSession, peekLinkSession } from "../links/sessions";
import { getMembership } from "../members/membership";
import { createPortalSession } from "../portal/sessions";
import { getWorkspaceName } from "../workspaces/workspace";

/** 1. The interstitial. */
export async function describeLink(id: unknown) {
  const link = await peekLinkSession(id);
  if (!link) return null;
  // A link whose member was removed names nobody: its Continue would be refused anyway.
  const [user, workspaceName, membership] = await Promise.all([getUserSummary(link.userId), getWorkspaceName(link.workspaceId), getMembership(link)]);
  if (!user || workspaceName === null || !membership) return null;
  return { userName: user.name, workspaceName, expiresAt: new Date(link.expiresAt) };
}

export type OpenLinkResult = { next: "portal"; sessionId: string; maxAgeSeconds: number } | { next: "identity"; pendingId: string };

type Browser = { ip: string; userAgent: string | null; currentSession?: string | null };

/** 2. Continue. */
export async function openLink({ id, ip, userAgent, currentSession }: { id: unknown } & Browser): Promise<OpenLinkResult> {
  const link = await consumeLinkSession(id);
  if (!link) throw new AppError("link_expired");
  const { workspaceId, userId } = link;
  const linkRef = link.idHash.slice(0, 16);
  if (!(await getMembership({ workspaceId, userId }))) {
    await appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "link.rejected", target: `user:${userId}`, ip, data: { link: linkRef, reason: "not_a_member" } });
    throw new AppError("link_expired");
  }
  await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "link.opened", target: `user:${userId}`, ip, data: { link: linkRef, purpose: link.purpose } });

  if (!getConfig().settingsOAuth) {
    const session = await createPortalSession({ workspaceId, userId, method: "link", ip, userAgent, replacing: currentSession });
    return { next: "portal", sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds };
  }
  return { next: "identity", pendingId: await createPendingIdentity({ workspaceId, userId, link: linkRef }) };
}

/** 3. Back from the identity provider: a portal session only once the subject is bound or verified. */
export async function completeIdentity({
  pendingId,
  subject,
  signedInAt,
  ip,
  userAgent,
  currentSession,
}: { pendingId: unknown; subject: string | undefined; signedInAt: number | undefined } & Browser) {
  const pending = await consumePendingIdentity(pendingId);
  if (!pending) throw new AppError("link_expired");
  // Must be the sign-in this Continue started: a leftover next-auth cookie must never stand in for a new link.
  if (!subject || !signedInAt || signedInAt < pending.createdAt || Date.now() - signedInAt > PENDING_TTL_SECONDS * 1000) {
    throw new AppError("unauthorized", undefined, { reason: "sign_in_failed" });
  }
  if (!(await getMembership(pending))) throw new AppError("link_expired");
  await bindOrVerifyIdentity({ workspaceId: pending.workspaceId, userId: pending.userId, provider: settingsProviderKey(), subject, ip });
  return createPortalSession({ workspaceId: pending.workspaceId, userId: pending.userId, method: "oauth", ip, userAgent, replacing: currentSession });
}
