// The link journey (SPEC §3, §7): the GET interstitial never consumes the link; Continue consumes it once, proves
// the opener (Telegram's signature, or the bound identity of the identity provider), then lands on its purpose.
import "server-only";
import { createAdminSession } from "../admin/sessions";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { auditDigest } from "../crypto/audit-digest";
import { db } from "../db/client";
import { AppError } from "../errors";
import { bindOrVerifyIdentity, settingsProviderKey } from "../identity/bindings";
import { findUserByIdentity, getUserSummary } from "../identity/users";
import { consumePendingIdentity, createPendingIdentity, PENDING_TTL_SECONDS } from "../links/pending";
import { landingPath, parsePurpose, purposeName, type LinkPurpose } from "../links/purpose";
import { landingFor } from "./landing";
import { consumeLinkSession, peekLinkSession } from "../links/sessions";
import { getMembership } from "../members/membership";
import { canAdminister } from "../permissions";
import { createPortalSession } from "../portal/sessions";
import { AUTH_DATE_SKEW_SECONDS, claimInitData, INIT_DATA_EXPIRED, verifyInitData } from "../telegram/init-data";
import { getWorkspaceName } from "../workspaces/workspace";

/** 1. The interstitial. */
export async function describeLink(id: unknown) {
  const link = await peekLinkSession(id);
  if (!link) return null;
  // A link whose member was removed names nobody: its Continue would be refused anyway.
  const [user, workspaceName, membership] = await Promise.all([getUserSummary(link.userId), getWorkspaceName(link.workspaceId), getMembership(link)]);
  if (!user || workspaceName === null || !membership) return null;
  return { userName: user.name, workspaceName, purpose: link.purpose, expiresAt: new Date(link.expiresAt) };
}

/** Which cookie the new session goes in: an admin link opens the admin console's own session, never a portal one. */
export type SessionCookie = "portal" | "admin";

export type OpenLinkResult =
  | { next: "portal"; cookie: SessionCookie; sessionId: string; maxAgeSeconds: number; landing: string; verifiedBy: "telegram" | null }
  | { next: "identity"; pendingId: string };

type Browser = { ip: string; userAgent: string | null; currentSession?: string | null; currentAdminSession?: string | null };

/**
 * The session a verified opener gets: the portal's, or for an admin link the admin console's, once more checking
 * that the user is still an owner or admin (the role may have gone since the link was sent).
 */
async function openSession(
  purpose: LinkPurpose,
  { workspaceId, userId, method, ip, userAgent, currentSession, currentAdminSession }: { workspaceId: string; userId: string; method: "link" | "oauth" | "telegram" } & Browser,
): Promise<{ cookie: SessionCookie; sessionId: string; maxAgeSeconds: number; landing: string }> {
  if (purpose.kind === "admin") {
    const membership = await getMembership({ workspaceId, userId });
    if (!membership || !canAdminister(membership.role)) throw new AppError("forbidden", "Only owners and admins of this workspace can open the admin console.", { reason: "not_admin" });
    const session = await createAdminSession({ workspaceId, userId, method, ip, userAgent, replacing: currentAdminSession });
    return { cookie: "admin", sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds, landing: landingPath(purpose) };
  }
  const session = await createPortalSession({ workspaceId, userId, method, ip, userAgent, replacing: currentSession });
  const landing = await landingFor(purpose, { workspaceId, userId, sessionId: session.id, ip: ip ?? null });
  return { cookie: "portal", sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds, landing };
}

/**
 * 2. Continue. `initData` is what Telegram gave the page when it runs inside Telegram (the `web_app` button): when
 * present it must verify, be younger than the link, and name the link's own user; then it is the identity check
 * (SPEC §7). A link that went out as a `web_app` button opens only that way.
 */
export async function openLink({ id, initData, ip, userAgent, currentSession, currentAdminSession }: { id: unknown; initData?: string | null } & Browser): Promise<OpenLinkResult> {
  // Checked before the link is spent: a refusal here leaves the link usable from the button.
  const telegram = initData ? verifyOpener(initData) : null;
  const peeked = await peekLinkSession(id);
  if (!peeked) throw new AppError("link_expired");
  if (peeked.opener === "telegram" && !telegram) throw new AppError("invalid_init_data", OPENER_REQUIRED);
  // Signed before the link existed: some other page's initData, not this opening of this link.
  if (telegram && telegram.authDate.getTime() < Date.parse(peeked.createdAt) - AUTH_DATE_SKEW_SECONDS * 1000) {
    throw new AppError("invalid_init_data", OPENER_EXPIRED);
  }
  if (telegram && !(await claimInitData(telegram))) throw new AppError("invalid_init_data", OPENER_EXPIRED);
  // Another Telegram user is refused before the link is spent: holding its id with their own initData must not let
  // anyone use up the owner's link. Nothing is bound or opened; the audit keeps a keyed digest of the Telegram id.
  if (telegram) {
    const opener = await findUserByIdentity(db, { platform: "telegram", externalId: telegram.telegramUserId });
    if (opener?.id !== peeked.userId) {
      await appendAuditEvent({
        workspaceId: peeked.workspaceId,
        actor: { type: "system" },
        action: "identity.mismatch",
        target: `user:${peeked.userId}`,
        ip,
        data: { provider: "telegram", subject: auditDigest(`telegram\u0000${telegram.telegramUserId}`), link: peeked.idHash.slice(0, 16) },
      });
      throw new AppError("forbidden", "This link was sent to a different account.", { reason: "telegram_mismatch" });
    }
  }

  const link = await consumeLinkSession(id);
  if (!link) throw new AppError("link_expired");
  const { workspaceId, userId } = link;
  const linkRef = link.idHash.slice(0, 16);
  const purpose = purposeName(link.purpose);
  if (!(await getMembership({ workspaceId, userId }))) {
    await appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "link.rejected", target: `user:${userId}`, ip, data: { link: linkRef, purpose, reason: "not_a_member" } });
    throw new AppError("link_expired");
  }

  await appendAuditEvent({
    workspaceId,
    actor: { type: "user", id: userId },
    action: "link.opened",
    target: `user:${userId}`,
    ip,
    data: { link: linkRef, purpose, ...(telegram ? { verifiedBy: "telegram" } : {}) },
  });

  if (telegram || !getConfig().settingsOAuth) {
    const opened = await openSession(link.purpose, { workspaceId, userId, method: telegram ? "telegram" : "link", ip, userAgent, currentSession, currentAdminSession });
    return { next: "portal", ...opened, verifiedBy: telegram ? "telegram" : null };
  }
  const section = link.purpose.kind === "settings" ? link.purpose.section : undefined;
  return { next: "identity", pendingId: await createPendingIdentity({ workspaceId, userId, link: linkRef, purpose, ...(section ? { section } : {}) }) };
}

// Said on the link page (its own next step follows): the Mini App's wording would send the person elsewhere.
const OPENER_UNVERIFIED = "Telegram's confirmation of who you are could not be verified.";
const OPENER_EXPIRED = "Telegram's confirmation of who you are has expired or was already used.";
const OPENER_REQUIRED = "This link opens only inside Telegram, from the button in your chat, so that Telegram can confirm it is you.";

function verifyOpener(initData: string) {
  try {
    return verifyInitData(initData);
  } catch (err) {
    if (err instanceof AppError && err.code === "invalid_init_data") {
      throw new AppError("invalid_init_data", err.message === INIT_DATA_EXPIRED ? OPENER_EXPIRED : OPENER_UNVERIFIED);
    }
    throw err;
  }
}

/** 3. Back from the identity provider: a portal session only once the subject is bound or verified. */
export async function completeIdentity({
  pendingId,
  subject,
  signedInAt,
  ip,
  userAgent,
  currentSession,
  currentAdminSession,
}: { pendingId: unknown; subject: string | undefined; signedInAt: number | undefined } & Browser) {
  const pending = await consumePendingIdentity(pendingId);
  if (!pending) throw new AppError("link_expired");
  // Must be the sign-in this Continue started: a leftover next-auth cookie must never stand in for a new link.
  if (!subject || !signedInAt || signedInAt < pending.createdAt || Date.now() - signedInAt > PENDING_TTL_SECONDS * 1000) {
    throw new AppError("unauthorized", undefined, { reason: "sign_in_failed" });
  }
  const purpose: LinkPurpose | null = parsePurpose(pending.purpose, pending.section);
  if (!purpose) throw new AppError("link_expired");
  if (!(await getMembership(pending))) throw new AppError("link_expired");
  await bindOrVerifyIdentity({ workspaceId: pending.workspaceId, userId: pending.userId, provider: settingsProviderKey(), subject, ip });
  return openSession(purpose, { workspaceId: pending.workspaceId, userId: pending.userId, method: "oauth", ip, userAgent, currentSession, currentAdminSession });
}
