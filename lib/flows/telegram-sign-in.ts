import "server-only";
import { z } from "zod";
import { appendAuditEvent } from "../audit";
import { db } from "../db/client";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import { formatPlatformIdentity, type PlatformIdentityRef } from "../identity/platform";
import { findUserByIdentity } from "../identity/users";
import { inviteCodeFromStartParam } from "../invites/code";
import { redeemInviteCode } from "../invites/redeem";
import { listMembershipsOfUser } from "../members/membership";
import { createPortalSession } from "../portal/sessions";
import { claimInitData, INIT_DATA_EXPIRED, initDataWasUsed, verifyInitData } from "../telegram/init-data";

export const telegramSessionBody = z.strictObject({ initData: z.string(), workspaceId: z.guid().optional() });

export type WorkspaceChoice = { workspaceId: string; workspaceName: string };

export type TelegramSessionResult =
  | { next: "portal"; workspaceId: string; sessionId: string; maxAgeSeconds: number }
  | { next: "choose"; workspaces: WorkspaceChoice[] };

const NOT_A_MEMBER_ANYWHERE = "This Telegram account is not a member of any workspace. Ask your workspace admin to add you.";
// The same answer whether the workspace exists or not, so ids cannot be probed.
const NOT_A_MEMBER_THERE = "This Telegram account is not a member of that workspace. Ask your workspace admin to add you.";

/**
 * Listing workspaces leaves the initData usable for the follow-up post; only creating a session consumes it. A
 * start_param `inv_<code>` joins the invite's workspace first (SPEC §13), and the session opens there.
 */
export async function startTelegramSession({
  initData,
  workspaceId,
  ip,
  userAgent,
  currentSession,
}: {
  initData: unknown;
  workspaceId?: string;
  ip: string;
  userAgent: string | null;
  currentSession?: string | null;
}): Promise<TelegramSessionResult> {
  const verified = verifyInitData(initData);
  if (await initDataWasUsed(verified)) throw new AppError("invalid_init_data", INIT_DATA_EXPIRED);

  const identity: PlatformIdentityRef = { platform: "telegram", externalId: verified.telegramUserId };
  const caller = { identity, ip, userAgent, currentSession };
  const inviteCode = inviteCodeFromStartParam(verified.startParam);
  if (inviteCode !== null) {
    // The replay guard first: one initData redeems at most once, and a replayed one redeems nothing.
    if (!(await claimInitData(verified))) throw new AppError("invalid_init_data", INIT_DATA_EXPIRED);
    // A member of the invite's workspace is simply signed in there; an unusable code is the one 410 invite_invalid.
    const joined = await redeemInviteCode({ code: inviteCode, user: { platform: "telegram", id: identity.externalId, name: verified.name }, ip });
    return openSession({ workspaceId: joined.workspaceId, userId: joined.userId, ...caller });
  }

  const user = await findUserByIdentity(db, identity);
  const memberships = user ? await listMembershipsOfUser({ userId: user.id }) : [];
  if (!user || memberships.length === 0) throw new AppError("forbidden", NOT_A_MEMBER_ANYWHERE);

  const chosen = chooseWorkspace(memberships, workspaceId, verified.startParam);
  if (!chosen) {
    return { next: "choose", workspaces: memberships.map(({ workspaceId, workspaceName }) => ({ workspaceId, workspaceName })) };
  }

  if (!(await claimInitData(verified))) throw new AppError("invalid_init_data", INIT_DATA_EXPIRED);
  return openSession({ workspaceId: chosen, userId: user.id, ...caller });
}

async function openSession({
  workspaceId,
  userId,
  identity,
  ip,
  userAgent,
  currentSession,
}: {
  workspaceId: string;
  userId: string;
  identity: PlatformIdentityRef;
  ip: string;
  userAgent: string | null;
  currentSession?: string | null;
}): Promise<TelegramSessionResult> {
  const session = await createPortalSession({ workspaceId, userId, method: "telegram", userAgent, ip, replacing: currentSession });
  await appendAuditEvent({
    workspaceId,
    actor: { type: "user", id: userId },
    action: "telegram.session.created",
    target: `user:${userId}`,
    ip,
    data: { identity: formatPlatformIdentity(identity) },
  });
  return { next: "portal", workspaceId, sessionId: session.id, maxAgeSeconds: session.maxAgeSeconds };
}

function chooseWorkspace(memberships: { workspaceId: string }[], explicit: string | undefined, startParam: string | undefined) {
  const theirs = (id: string) => memberships.some((m) => m.workspaceId === id.toLowerCase());
  if (explicit !== undefined) {
    if (!theirs(explicit)) throw new AppError("forbidden", NOT_A_MEMBER_THERE);
    return explicit.toLowerCase();
  }
  if (startParam && isUuid(startParam.toLowerCase()) && theirs(startParam)) return startParam.toLowerCase();
  return memberships.length === 1 ? memberships[0]!.workspaceId : null;
}
