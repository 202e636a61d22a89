import "server-only";
import { db, type Tx } from "../db/client";
import { AppError } from "../errors";
import type { PlatformIdentityRef } from "./platform";

/** An identity belongs to one user (unique index): a concurrent loser fails with P2002, retried by transactWithRetry. */
export async function findOrCreateUserByIdentity(
  tx: Tx,
  { identity, displayName }: { identity: PlatformIdentityRef; displayName?: string },
): Promise<{ userId: string; created: boolean }> {
  const existing = await tx.platformIdentity.findUnique({
    where: { platform_externalId: { platform: identity.platform, externalId: identity.externalId } },
    select: { userId: true },
  });
  if (existing) return { userId: existing.userId, created: false };
  const user = await tx.user.create({
    data: {
      displayName: displayName?.trim() || null,
      identities: { create: { platform: identity.platform, externalId: identity.externalId } },
    },
    select: { id: true },
  });
  return { userId: user.id, created: true };
}

/** Gives an existing user one more chat account. An identity stands for one person (SPEC §2): another user's → conflict. */
export async function attachPlatformIdentity(tx: Tx, { userId, identity }: { userId: string; identity: PlatformIdentityRef }): Promise<{ attached: boolean }> {
  const existing = await tx.platformIdentity.findUnique({
    where: { platform_externalId: { platform: identity.platform, externalId: identity.externalId } },
    select: { userId: true },
  });
  if (existing?.userId === userId) return { attached: false };
  if (existing) throw new AppError("conflict", `${identity.platform}:${identity.externalId} already belongs to another user.`);
  await tx.platformIdentity.create({ data: { userId, platform: identity.platform, externalId: identity.externalId } });
  return { attached: true };
}

export async function findUserByIdentity(tx: Tx, identity: PlatformIdentityRef) {
  const found = await tx.platformIdentity.findUnique({
    where: { platform_externalId: { platform: identity.platform, externalId: identity.externalId } },
    select: { user: { select: { id: true, displayName: true } } },
  });
  return found?.user ?? null;
}

export function displayNameOf(user: { displayName: string | null; identities: { platform: string; externalId: string }[] }): string {
  const identity = user.identities[0];
  return user.displayName ?? (identity ? `${identity.platform} user ${identity.externalId}` : "this user");
}

export async function getUserSummary(userId: string): Promise<{ id: string; name: string } | null> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, displayName: true, identities: { select: { platform: true, externalId: true }, orderBy: { createdAt: "asc" }, take: 1 } },
  });
  return user ? { id: user.id, name: displayNameOf(user) } : null;
}

/** The user's chat accounts (telegram:<id>, slack:<team>:<user>), oldest first. */
export async function listPlatformIdentities(userId: string): Promise<{ platform: string; externalId: string }[]> {
  return db.platformIdentity.findMany({ where: { userId }, orderBy: { createdAt: "asc" }, select: { platform: true, externalId: true } });
}
