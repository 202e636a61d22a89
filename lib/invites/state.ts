// "Is this invite usable" — written once, in TypeScript for the list and in SQL for the one statement that takes a
// use (lib/invites/redeem.ts), side by side so they cannot drift. The database's clock decides in SQL.
import type { Role } from "@/generated/prisma/client";

export type InviteRole = Exclude<Role, "owner">;
export const INVITE_ROLES = ["member", "admin"] as const satisfies readonly InviteRole[];

export const MAX_INVITE_USES = 1000;
export const MAX_INVITE_SECONDS = 30 * 86400;
export const DEFAULT_INVITE_SECONDS = 7 * 86400;
export const MAX_INVITE_LABEL = 100;

export type InviteState = "active" | "revoked" | "expired" | "used_up";

/** Revoked wins over expired, expired over used up: the reason an admin would act on first. */
export function inviteState(invite: { revokedAt: Date | null; expiresAt: Date; uses: number; maxUses: number }, now = new Date()): InviteState {
  if (invite.revokedAt) return "revoked";
  if (invite.expiresAt.getTime() <= now.getTime()) return "expired";
  if (invite.uses >= invite.maxUses) return "used_up";
  return "active";
}

/** The SQL twin of inviteState(...) === "active", over the table `invites`. */
// statement_timestamp(), not now(): now() is the transaction's start, before it waited for the workspace lock.
export const USABLE_INVITE_SQL = `invites.revoked_at IS NULL AND invites.expires_at > statement_timestamp() AND invites.uses < invites.max_uses`;

export function isInviteRole(value: unknown): value is InviteRole {
  return typeof value === "string" && (INVITE_ROLES as readonly string[]).includes(value);
}
