// Signing in to the admin console at /admin (SPEC §13): the settings identity provider's subject must already be
// bound (by a settings link, §3) to a user who is an owner or admin. Never matched by e-mail, never bound here.
import "server-only";
import { createAdminPending, peekAdminPending, takeAdminPending, takeAdminSignIn } from "../admin/pending";
import { createAdminSession } from "../admin/sessions";
import { db } from "../db/client";
import { AppError } from "../errors";
import { settingsProviderKey } from "../identity/bindings";
import { getMembership, listMembershipsOfUser } from "../members/membership";
import { canAdminister } from "../permissions";

/** How long after the identity provider's answer the callback may still use it. */
const SIGN_IN_WINDOW_MS = 600_000;

type Browser = { ip: string | null; userAgent: string | null; currentAdminSession?: string | null };

export type AdminSignInResult =
  | { next: "session"; sessionId: string; maxAgeSeconds: number }
  | { next: "choose"; pendingId: string };

const notAdmin = () => new AppError("forbidden", "This account is not an owner or admin of a Gatehouse workspace.", { reason: "not_admin" });

/** `signInId`: the one-time id /admin/sign-in put in this browser's cookie; the provider's answer must come after it. */
export async function completeAdminSignIn({
  signInId,
  subject,
  signedInAt,
  ip,
  userAgent,
  currentAdminSession,
}: { signInId: unknown; subject: string | undefined; signedInAt: number | undefined } & Browser): Promise<AdminSignInResult> {
  const startedAt = await takeAdminSignIn(signInId);
  if (!startedAt || !subject || !signedInAt || signedInAt < startedAt || Date.now() - signedInAt > SIGN_IN_WINDOW_MS) {
    throw new AppError("unauthorized", undefined, { reason: "sign_in_failed" });
  }
  const binding = await db.oAuthBinding.findUnique({ where: { provider_subject: { provider: settingsProviderKey(), subject } }, select: { userId: true } });
  if (!binding) throw notAdmin();
  const workspaces = (await listMembershipsOfUser({ userId: binding.userId })).filter((m) => canAdminister(m.role));
  if (workspaces.length === 0) throw notAdmin();
  if (workspaces.length === 1) {
    const session = await createAdminSession({ workspaceId: workspaces[0]!.workspaceId, userId: binding.userId, method: "oauth", ip, userAgent, replacing: currentAdminSession });
    return { next: "session", sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds };
  }
  return { next: "choose", pendingId: await createAdminPending({ userId: binding.userId, workspaceIds: workspaces.map((w) => w.workspaceId) }) };
}

/** The workspaces a pending sign-in may choose from, with their names; null when it has ended. */
export async function describeAdminChoice(pendingId: unknown) {
  const pending = await peekAdminPending(pendingId);
  if (!pending) return null;
  const mine = await listMembershipsOfUser({ userId: pending.userId });
  return mine.filter((m) => pending.workspaceIds.includes(m.workspaceId) && canAdminister(m.role)).map((m) => ({ id: m.workspaceId, name: m.workspaceName, role: m.role }));
}

/** The choice: one of the offered workspaces, where the user is still an owner or admin. */
export async function chooseAdminWorkspace({ pendingId, workspaceId, ip, userAgent, currentAdminSession }: { pendingId: unknown; workspaceId: unknown } & Browser) {
  const pending = await takeAdminPending(pendingId);
  if (!pending) throw new AppError("unauthorized", undefined, { reason: "no_admin_session" });
  if (typeof workspaceId !== "string" || !pending.workspaceIds.includes(workspaceId)) throw new AppError("bad_request", "Choose one of the workspaces listed.");
  const membership = await getMembership({ workspaceId, userId: pending.userId });
  if (!membership || !canAdminister(membership.role)) throw notAdmin();
  return createAdminSession({ workspaceId, userId: pending.userId, method: "oauth", ip, userAgent, replacing: currentAdminSession });
}
