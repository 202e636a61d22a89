// Test data: every test makes its own workspace with random names and ids, so nothing depends on leftovers.
import { randomBytes, randomInt } from "node:crypto";
import type { GrantInput } from "@/lib/jobs/grants";
import { createWorkspace } from "@/lib/workspaces/workspace";

export function randomTelegramId() {
  return String(randomInt(1_000_000_000, 281_474_976_710_655));
}

export function randomName(prefix = "ws") {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

export async function makeWorkspace(opts: { ownerName?: string } = {}) {
  const ownerTelegramId = randomTelegramId();
  const result = await createWorkspace({
    name: randomName(),
    owner: { platform: "telegram", externalId: ownerTelegramId },
    ownerName: opts.ownerName ?? "Test Owner",
    actor: { type: "system", id: "test" },
  });
  return { ...result, ownerTelegramId };
}

/** A member of the workspace with these secrets set through the secrets library. */
export async function makeMember(workspaceId: string, secrets: Record<string, string> = {}) {
  const { addMember } = await import("@/lib/members/membership");
  const { putSecret } = await import("@/lib/secrets/store");
  const telegramId = randomTelegramId();
  const { userId } = await addMember({
    workspaceId,
    identity: { platform: "telegram", externalId: telegramId },
    displayName: "Test Member",
    role: "member",
    actor: { type: "system", id: "test" },
  });
  for (const [name, value] of Object.entries(secrets)) {
    await putSecret({ workspaceId, userId, name, value, actor: { type: "user", id: userId } });
  }
  return { userId, telegramId };
}

/** A service token of the workspace and a running job for `telegramId` with these grants. */
export async function makeJob(
  workspaceId: string,
  telegramId: string,
  grants: GrantInput[] = [],
  opts: { ttlSeconds?: number; delivery?: { platform: "telegram" | "slack"; chatId: string; threadId?: string } } = {},
) {
  const { issueServiceToken } = await import("@/lib/tokens/registry");
  const { createJob } = await import("@/lib/jobs/create");
  const service = await issueServiceToken({ workspaceId, actor: { type: "system", id: "test" } });
  const job = await createJob({
    workspaceId,
    serviceTokenId: service.tokenId,
    user: { platform: "telegram", externalId: telegramId },
    grants,
    ttlSeconds: opts.ttlSeconds,
    delivery: opts.delivery,
  });
  return { ...job, serviceTokenId: service.tokenId, serviceToken: service.token };
}
