// Redeeming an invite (SPEC §13): exactly `max_uses` redemptions succeed under any concurrency, on any number of
// instances, because a use is taken by ONE conditional UPDATE in the transaction that also creates the user, the
// membership and the redemption and appends the audit records: all of it commits, or none.
//
// Every unusable code (unknown, malformed, revoked, expired, used up, another workspace's) gets the one identical
// 410 invite_invalid, decided by the same hash-indexed statement. A user who is already a member gets 409
// already_member only for a code that is usable, and that use is not taken: a member retrying burns nothing, and an
// invalid code says nothing about membership.
import "server-only";
import { Prisma, type Role } from "@/generated/prisma/client";
import { appendAuditEvent, type AuditActor } from "../audit";
import type { Tx } from "../db/client";
import { lockWorkspace } from "../db/locks";
import { transactWithRetry } from "../db/retry";
import { isUuid } from "../db/sql";
import { AppError } from "../errors";
import { formatPlatformIdentity, parsePlatformIdentity, type PlatformIdentityRef } from "../identity/platform";
import { findOrCreateUserByIdentity, findUserByIdentity } from "../identity/users";
import { getMembership, insertMember } from "../members/membership";
import { hashInviteCode, isInviteCode } from "./code";
import { USABLE_INVITE_SQL, type InviteRole } from "./state";
import { chargeRedeemAttempt } from "./throttle";

const usable = Prisma.raw(USABLE_INVITE_SQL);
const invalid = () => new AppError("invite_invalid");

export type RedeemUser = { platform: string; id: string; name?: string };
export type Redeemed = { userId: string; workspaceId: string; role: InviteRole };
export type RedeemOutcome = ({ outcome: "redeemed" } & Redeemed) | { outcome: "already_member"; userId: string; workspaceId: string; role: Role };

/** POST /api/v1/invites/redeem: the code must be one of `workspaceId`'s (the service token's). */
export async function redeemInvite(input: {
  workspaceId: string;
  code: string;
  user: RedeemUser;
  ip?: string | null;
  /** Who is recorded as acting; by default the redeeming user. */
  actor?: AuditActor;
}): Promise<Redeemed> {
  const result = await redeemInviteCode(input);
  if (result.outcome === "already_member") throw new AppError("already_member");
  return { userId: result.userId, workspaceId: result.workspaceId, role: result.role };
}

/**
 * redeemInvite for callers that treat "already a member" as an answer, not an error (the Mini App signs the member
 * in). Without `workspaceId` the code names its workspace.
 */
export async function redeemInviteCode({
  workspaceId,
  code,
  user,
  ip,
  actor,
}: {
  workspaceId?: string;
  code: string;
  user: RedeemUser;
  ip?: string | null;
  actor?: AuditActor;
}): Promise<RedeemOutcome> {
  const identity = parsePlatformIdentity(user.platform, user.id);
  const displayName = user.name?.trim().slice(0, 100) || undefined;
  const codeHash = hashInviteCode(code);
  const scope = workspaceId !== undefined ? { workspaceId } : { redeemer: formatPlatformIdentity(identity) };
  const attempt = await chargeRedeemAttempt({ ip: ip ?? "unknown", scope });
  if (!isInviteCode(code) || (workspaceId !== undefined && !isUuid(workspaceId))) throw invalid();

  const result = await transactWithRetry(async (tx) => {
    const target = workspaceId ?? (await workspaceOfUsableCode(tx, codeHash));
    if (!target) throw invalid();
    await lockWorkspace(tx, target);
    const known = await findUserByIdentity(tx, identity);
    const membership = known ? await getMembership({ workspaceId: target, userId: known.id }, tx) : null;
    if (known && membership) {
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text AS id FROM invites WHERE code_hash = ${codeHash} AND workspace_id = ${target}::uuid AND ${usable}`;
      if (rows.length !== 1) throw invalid();
      return { outcome: "already_member" as const, userId: known.id, workspaceId: target, role: membership.role };
    }
    return takeUseAndJoin(tx, { workspaceId: target, codeHash, identity, displayName, ip: ip ?? null, actor });
  });
  await attempt.refund();
  return result;
}

/** From the Mini App: the same usability test as the use itself, so an unusable code stops at the index lookup. */
async function workspaceOfUsableCode(tx: Tx, codeHash: Uint8Array): Promise<string | null> {
  const rows = await tx.$queryRaw<{ workspace_id: string }[]>`
    SELECT workspace_id::text AS workspace_id FROM invites WHERE code_hash = ${codeHash} AND ${usable}`;
  return rows[0]?.workspace_id ?? null;
}

async function takeUseAndJoin(
  tx: Tx,
  { workspaceId, codeHash, identity, displayName, ip, actor }: {
    workspaceId: string;
    codeHash: Uint8Array;
    identity: PlatformIdentityRef;
    displayName?: string;
    ip: string | null;
    actor?: AuditActor;
  },
): Promise<RedeemOutcome> {
  // The one statement that decides: of any number of concurrent redemptions, exactly the remaining uses match.
  const taken = await tx.$queryRaw<{ id: string; role: InviteRole; uses: number; max_uses: number }[]>`
    UPDATE invites SET uses = uses + 1
    WHERE code_hash = ${codeHash} AND workspace_id = ${workspaceId}::uuid AND ${usable}
    RETURNING id::text AS id, role::text AS role, uses, max_uses`;
  const invite = taken[0];
  if (!invite) throw invalid();

  const { userId } = await findOrCreateUserByIdentity(tx, { identity, displayName });
  const by = actor ?? { type: "user" as const, id: userId };
  // Someone removed and invited back with the same (multi-use) invite redeems again: the row keeps the latest time.
  await tx.$executeRaw`
    INSERT INTO invite_redemptions (invite_id, workspace_id, user_id, redeemed_at) VALUES (${invite.id}::uuid, ${workspaceId}::uuid, ${userId}::uuid, statement_timestamp())
    ON CONFLICT (invite_id, user_id) DO UPDATE SET redeemed_at = EXCLUDED.redeemed_at`;
  await insertMember(tx, { workspaceId, identity, displayName, role: invite.role, actor: by, ip, auditData: { inviteId: invite.id } });
  await appendAuditEvent(
    {
      workspaceId,
      actor: by,
      action: "invite.redeemed",
      target: `invite:${invite.id}`,
      ip,
      data: { inviteId: invite.id, userId, role: invite.role, identity: formatPlatformIdentity(identity), uses: invite.uses, maxUses: invite.max_uses },
    },
    tx,
  );
  return { outcome: "redeemed", userId, workspaceId, role: invite.role };
}
