import "server-only";
import type { AuditActor } from "../audit";
import { db } from "../db/client";
import { AppError } from "../errors";
import type { PlatformIdentityRef } from "../identity/platform";
import { findUserByIdentity } from "../identity/users";
import { createLinkSession } from "./sessions";

/** A settings link for the member behind a chat identity (operators' CLI, later the gateway API). */
export async function createSettingsLinkFor({ workspaceId, identity, actor }: { workspaceId: string; identity: PlatformIdentityRef; actor: AuditActor }) {
  const user = await findUserByIdentity(db, identity);
  if (!user) throw new AppError("not_a_member");
  return createLinkSession({ workspaceId, userId: user.id, purpose: { kind: "settings" }, actor });
}
