// Issuing, listing and revoking invites (SPEC §13, §9 `invite create|list|revoke`): the admin console and the CLI
// call these with who asks as `acting` ("operator" for the CLI, or the signed-in user, whose role is read under the
// workspace lock in the change's own transaction). The code is returned once, by createInvite;
// only its hash is stored, and no list, audit record or error ever carries it.
import "server-only";
import { appendAuditEvent, type AuditActor } from "../audit";
import { db } from "../db/client";
import { lockWorkspace } from "../db/locks";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import { displayNameOf } from "../identity/users";
import { requesterRole } from "../members/membership";
import { canIssueInvite, type Requester } from "../permissions";
import { generateInviteCode, hashInviteCode } from "./code";
import {
  DEFAULT_INVITE_SECONDS,
  inviteState,
  isInviteRole,
  MAX_INVITE_LABEL,
  MAX_INVITE_SECONDS,
  MAX_INVITE_USES,
  type InviteRole,
  type InviteState,
} from "./state";

const notAllowed = (role: InviteRole) =>
  new AppError("forbidden", role === "admin" ? "Only an owner can issue or revoke admin invites." : "Only owners and admins can issue or revoke invites.");

export type CreatedInvite = { inviteId: string; code: string; expiresAt: Date };

export async function createInvite({
  workspaceId,
  acting,
  actor,
  label,
  role = "member",
  maxUses = 1,
  expiresInSeconds = DEFAULT_INVITE_SECONDS,
  ip,
}: {
  workspaceId: string;
  /** Who asks ("operator" for the CLI); a user's role is read under the workspace lock. */
  acting: Requester;
  actor: AuditActor;
  label?: string;
  role?: InviteRole;
  maxUses?: number;
  expiresInSeconds?: number;
  ip?: string | null;
}): Promise<CreatedInvite> {
  if (!isInviteRole(role)) throw new AppError("validation_failed", "An invite's role is member or admin.");
  if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_INVITE_USES) {
    throw new AppError("validation_failed", `An invite's use limit must be a whole number from 1 to ${MAX_INVITE_USES}.`);
  }
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_INVITE_SECONDS) {
    throw new AppError("validation_failed", `An invite expires after 1 to ${MAX_INVITE_SECONDS} seconds (30 days).`);
  }
  const cleanLabel = (label ?? "").trim();
  if (cleanLabel.length > MAX_INVITE_LABEL || /[\p{Cc}\p{Cf}\u2028\u2029]/u.test(cleanLabel)) {
    throw new AppError("validation_failed", `An invite's label is one line of at most ${MAX_INVITE_LABEL} characters.`);
  }
  if (!isUuid(workspaceId)) throw new AppError("not_found", "No such workspace.");

  return db.$transaction(async (tx) => {
    if (!(await tx.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) throw new AppError("not_found", "No such workspace.");
    await lockWorkspace(tx, workspaceId);
    if (!canIssueInvite(await requesterRole(tx, workspaceId, acting), role)) throw notAllowed(role);
    // The admin who issues it (the CLI is nobody's user).
    const createdByUserId = acting === "operator" ? null : acting.userId;
    const code = generateInviteCode();
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1000);
    const row = await tx.invite.create({
      data: { workspaceId, codeHash: hashInviteCode(code), label: cleanLabel, role, maxUses, expiresAt, createdByUserId },
      select: { id: true },
    });
    await appendAuditEvent(
      { workspaceId, actor, action: "invite.created", target: `invite:${row.id}`, ip, data: { inviteId: row.id, role, maxUses, expiresAt, label: cleanLabel } },
      tx,
    );
    return { inviteId: row.id, code, expiresAt };
  });
}

export type InviteSummary = {
  id: string;
  label: string;
  role: InviteRole;
  uses: number;
  maxUses: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  state: InviteState;
  createdBy: { userId: string; name: string } | null;
  redemptions: { userId: string; name: string; at: Date }[];
};

const LIST_LIMIT = 10_000;
const person = { displayName: true, identities: { select: { platform: true, externalId: true }, orderBy: { createdAt: "asc" as const }, take: 1 } };

/** Every invite of the workspace, newest first, with who redeemed it and when; never a code or its hash. */
export async function listInvites({ workspaceId }: { workspaceId: string }): Promise<InviteSummary[]> {
  if (!isUuid(workspaceId) || !(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
    throw new AppError("not_found", "No such workspace.");
  }
  const rows = await db.invite.findMany({
    where: { workspaceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: LIST_LIMIT,
    select: {
      id: true,
      label: true,
      role: true,
      uses: true,
      maxUses: true,
      expiresAt: true,
      revokedAt: true,
      createdAt: true,
      createdBy: { select: { id: true, ...person } },
      redemptions: { orderBy: [{ redeemedAt: "asc" }, { userId: "asc" }], select: { redeemedAt: true, user: { select: { id: true, ...person } } } },
    },
  });
  const now = new Date();
  return rows.map(({ createdBy, redemptions, role, ...invite }) => ({
    ...invite,
    // The data refuses owner invites (invites_role_check).
    role: role as InviteRole,
    state: inviteState(invite, now),
    createdBy: createdBy ? { userId: createdBy.id, name: displayNameOf(createdBy) } : null,
    redemptions: redemptions.map((r) => ({ userId: r.user.id, name: displayNameOf(r.user), at: r.redeemedAt })),
  }));
}

/**
 * Ends the invite at once: a redemption that has not committed yet fails its conditional update. Revoking a revoked
 * invite answers the same and records nothing more. Without `workspaceId` (the CLI) the invite's own is used.
 */
export async function revokeInvite({
  inviteId,
  workspaceId,
  acting,
  actor,
  ip,
}: {
  inviteId: string;
  workspaceId?: string;
  acting: Requester;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ revoked: true }> {
  const missing = () => new AppError("not_found", "No invite has that id.");
  if (!isUuid(inviteId) || (workspaceId !== undefined && !isUuid(workspaceId))) throw missing();
  return db.$transaction(async (tx) => {
    const invite = await tx.invite.findUnique({ where: { id: inviteId }, select: { workspaceId: true, role: true } });
    // Another workspace's invite is answered exactly like an unknown one.
    if (!invite || (workspaceId !== undefined && invite.workspaceId !== workspaceId)) throw missing();
    const role = invite.role as InviteRole;
    await lockWorkspace(tx, invite.workspaceId);
    if (!canIssueInvite(await requesterRole(tx, invite.workspaceId, acting), role)) throw notAllowed(role);
    const { count } = await tx.invite.updateMany({ where: { id: inviteId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count === 1) {
      await appendAuditEvent({ workspaceId: invite.workspaceId, actor, action: "invite.revoked", target: `invite:${inviteId}`, ip, data: { inviteId, role } }, tx);
    }
    return { revoked: true as const };
  });
}
