// Seeds e2e data through the real operator CLI, against the e2e server's database.
import { spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { E2E_ENV } from "./env";

export function gatehouse<T = Record<string, unknown>>(...args: string[]): T {
  const r = spawnSync(process.execPath, ["scripts/cli.mjs", ...args, "--json"], {
    env: { ...process.env, ...E2E_ENV },
    encoding: "utf8",
  });
  const out = r.stdout.trim();
  if (r.status !== 0) throw new Error(`gatehouse ${args.join(" ")} failed (${r.status}): ${out} ${r.stderr}`);
  return JSON.parse(out) as T;
}

export const randomTelegramId = () => String(randomInt(1_000_000_000, 281_474_976_710_655));
export const randomName = (prefix = "ws") => `${prefix}-${randomBytes(4).toString("hex")}`;

export function createWorkspace(ownerName = "E2E Owner") {
  const ownerTelegramId = randomTelegramId();
  const ws = gatehouse<{ workspaceId: string; ownerUserId: string }>(
    "workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerTelegramId, "--owner-name", ownerName,
  );
  return { ...ws, ownerTelegramId };
}
