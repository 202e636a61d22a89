import "server-only";
import type { AuditActor } from "../audit";
import { db } from "../db/client";
import { AppError } from "../errors";
import type { PlatformIdentityRef } from "../identity/platform";
import { findUserByIdentity } from "../identity/users";
import { getMembership } from "../members/membership";
import { canAdminister } from "../permissions";
import { createLinkSession } from "./sessions";

type ForIdentity = { workspaceId: string; identity: PlatformIdentityRef; actor: AuditActor };

/** A settings link for the member behind a chat identity (operators' CLI, later the gateway API). */
export async function createSettingsLinkFor({ workspaceId, identity, actor }: ForIdentity) {
  const user = await findUserByIdentity(db, identity);
  if (!user) throw new AppError("not_a_member");
  return createLinkSession({ workspaceId, userId: user.id, purpose: { kind: "settings" }, actor });
}

/** A one-time admin console link (SPEC §13), only for an owner or admin of the workspace. */
export async function createAdminLinkFor({ workspaceId, identity, actor }: ForIdentity) {
  const user = await findUserByIdentity(db, identity);
  const membership = user ? await getMembership({ workspaceId, userId: user.id }) : null;
  if (!user || !membership) throw new AppError("not_a_member");
  if (!canAdminister(membership.role)) throw new AppError("forbidden", "Only an owner or admin of the workspace can get an admin link.");
  return createLinkSession({ workspaceId, userId: user.id, purpose: { kind: "admin" }, actor });
}
