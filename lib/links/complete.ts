import "server-only";
import { AppError } from "../errors";
import { bindOrVerifyIdentity, settingsProviderKey } from "../identity/bindings";
import { getMembership } from "../members/membership";
import { createPortalSession } from "../portal/sessions";
import { consumePendingIdentity, PENDING_TTL_SECONDS } from "./pending";

/**
 * GET /settings/callback: the identity provider has answered. Consumes the pending state (once), binds or
 * verifies the subject against the link's user, and only then opens a portal session.
 */
export async function completeIdentity({
  pendingId,
  subject,
  signedInAt,
  ip,
  userAgent,
  currentSession,
}: {
  pendingId: unknown;
  subject: string | undefined;
  /** When the identity provider sign-in completed (from the next-auth token). */
  signedInAt: number | undefined;
  ip: string;
  userAgent: string | null;
  currentSession?: string | null;
}) {
  const pending = await consumePendingIdentity(pendingId);
  if (!pending) throw new AppError("link_expired");
  // The sign-in must be the one this Continue started: after the pending state, and recent. A leftover
  // next-auth cookie from an earlier sign-in must never stand in for the provider on a new link.
  if (!subject || !signedInAt || signedInAt < pending.createdAt || Date.now() - signedInAt > PENDING_TTL_SECONDS * 1000) {
    throw new AppError("unauthorized");
  }
  if (!(await getMembership(pending))) throw new AppError("link_expired");
  await bindOrVerifyIdentity({ workspaceId: pending.workspaceId, userId: pending.userId, provider: settingsProviderKey(), subject, ip });
  return createPortalSession({ workspaceId: pending.workspaceId, userId: pending.userId, method: "oauth", ip, userAgent, replacing: currentSession });
}
