import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { auditDigest } from "../crypto/audit-digest";
import { db } from "../db/client";
import { AppError } from "../errors";

/** Bindings made with another provider never match. */
export function settingsProviderKey(): string {
  const oauth = getConfig().settingsOAuth;
  if (!oauth) throw new AppError("internal_error", "No identity provider is configured.");
  return oauth.issuer ? `oidc:${oauth.issuer}` : `oauth2:${oauth.authorizationUrl}`;
}

export type BindOutcome = "bound" | "verified";

/** A mismatch is audited and binds nothing. Accounts are never matched by e-mail. */
export async function bindOrVerifyIdentity({
  workspaceId,
  userId,
  provider,
  subject,
  ip,
}: {
  workspaceId: string;
  userId: string;
  provider: string;
  subject: string;
  ip?: string | null;
}): Promise<BindOutcome> {
  // The subject is not secret, but it is personal data; the audit keeps a keyed digest that still correlates.
  const subjectRef = auditDigest(`${provider}\u0000${subject}`);
  const mismatch = async () => {
    await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "identity.mismatch", target: `user:${userId}`, ip, data: { provider, subject: subjectRef } });
    return new AppError("forbidden", "This link was sent to a different account.", { reason: "identity_mismatch" });
  };

  const [bySubject, byUser] = await Promise.all([
    db.oAuthBinding.findUnique({ where: { provider_subject: { provider, subject } }, select: { userId: true } }),
    db.oAuthBinding.findUnique({ where: { userId_provider: { userId, provider } }, select: { subject: true } }),
  ]);
  if (bySubject && bySubject.userId !== userId) throw await mismatch();
  if (byUser && byUser.subject !== subject) throw await mismatch();
  if (bySubject && byUser) {
    await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "identity.verified", target: `user:${userId}`, ip, data: { provider, subject: subjectRef } });
    return "verified";
  }
  try {
    await db.$transaction(async (tx) => {
      await tx.oAuthBinding.create({ data: { userId, provider, subject } });
      await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "identity.bound", target: `user:${userId}`, ip, data: { provider, subject: subjectRef } }, tx);
    });
  } catch (err) {
    // Lost a race: the subject or this user's provider slot was bound concurrently. Re-check from scratch.
    if ((err as { code?: string }).code !== "P2002") throw err;
    const again = await db.oAuthBinding.findUnique({ where: { provider_subject: { provider, subject } }, select: { userId: true } });
    if (again?.userId !== userId) throw await mismatch();
    await appendAuditEvent({ workspaceId, actor: { type: "user", id: userId }, action: "identity.verified", target: `user:${userId}`, ip, data: { provider, subject: subjectRef } });
    return "verified";
  }
  return "bound";
}

export type SettingsAccount = { configured: false } | { configured: true; providerName: string; boundAt: Date | null };

/** Which sign-in account (of the configured identity provider) is bound to the user, and since when. */
export async function getSettingsAccount(userId: string): Promise<SettingsAccount> {
  const oauth = getConfig().settingsOAuth;
  if (!oauth) return { configured: false };
  const binding = await db.oAuthBinding.findUnique({ where: { userId_provider: { userId, provider: settingsProviderKey() } }, select: { createdAt: true } });
  return { configured: true, providerName: oauth.providerName, boundAt: binding?.createdAt ?? null };
}
