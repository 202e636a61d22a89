// The idempotent demo workspace that `npm run dev` creates: Alice owns it, Mallory is a member. Alice also has a
// Slack account, so the dev chat fakes (scripts/lib/dev-chat.ts) can show her every kind of delivery.
import { db } from "@/lib/db/client";
import { addMember, addMemberIdentity } from "@/lib/members/membership";
import { createWorkspace } from "@/lib/workspaces/workspace";

// Telegram user ids stay below 2^52, so these demo ids can never belong to a real person. The group and the Slack
// ids exist only in the dev fakes.
export const DEMO = {
  workspaceName: "Demo workspace",
  owner: { platform: "telegram", externalId: "4503599627370497", name: "Alice (demo)" },
  member: { platform: "telegram", externalId: "4503599627370498", name: "Mallory (demo)" },
  telegramGroup: { chatId: "-4503599627370499", title: "Demo group" },
  slack: { teamId: "T0DEMO", channelId: "C0DEMO", channelName: "demo", ownerUserId: "U0ALICE" },
} as const;

const actor = { type: "system", id: "dev-seed" } as const;

export async function seedDemo(): Promise<{ workspaceId: string; ownerUserId: string; created: boolean }> {
  const seeded = await findOrCreateDemo();
  // Workspaces seeded before Alice had a Slack account get it now.
  await addMemberIdentity({
    workspaceId: seeded.workspaceId,
    userId: seeded.ownerUserId,
    identity: { platform: "slack", externalId: `${DEMO.slack.teamId}:${DEMO.slack.ownerUserId}` },
    actor,
  });
  return seeded;
}

async function findOrCreateDemo() {
  const existing = await db.platformIdentity.findUnique({
    where: { platform_externalId: { platform: DEMO.owner.platform, externalId: DEMO.owner.externalId } },
    select: { userId: true, user: { select: { memberships: { where: { role: "owner" }, orderBy: { createdAt: "asc" }, take: 1, select: { workspaceId: true } } } } },
  });
  const workspaceId = existing?.user.memberships[0]?.workspaceId;
  if (existing && workspaceId) return { workspaceId, ownerUserId: existing.userId, created: false };

  const created = await createWorkspace({
    name: DEMO.workspaceName,
    owner: { platform: DEMO.owner.platform, externalId: DEMO.owner.externalId },
    ownerName: DEMO.owner.name,
    actor,
  });
  await addMember({
    workspaceId: created.workspaceId,
    identity: { platform: DEMO.member.platform, externalId: DEMO.member.externalId },
    displayName: DEMO.member.name,
    actor,
  });
  return { ...created, created: true };
}

/**
 * A demo invite for the admin console's Invites page: created when the workspace has no active one, so its code (shown
 * once) is printed on that start only.
 */
export async function ensureDemoInvite(workspaceId: string): Promise<string | null> {
  const { createInvite, listInvites } = await import("@/lib/invites/manage");
  if ((await listInvites({ workspaceId })).some((i) => i.state === "active")) return null;
  const invite = await createInvite({ workspaceId, acting: "operator", actor, label: "Demo invite", maxUses: 5 });
  return invite.code;
}
