import "server-only";
import { db, type Tx } from "../db/client";
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
