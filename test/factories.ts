// Test data: every test makes its own workspace with random names and ids, so nothing depends on leftovers.
import { randomBytes, randomInt } from "node:crypto";
import { createWorkspace } from "@/lib/workspaces/workspaces";

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
