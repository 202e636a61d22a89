import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export const GENESIS_HASH = "0".repeat(64);

export type ChainedEvent = {
  workspaceId: string;
  seq: number;
  createdAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  data: unknown;
};

/** hash = SHA-256(prevHash ‖ canonical JSON of the event) (SPEC §8). */
export function hashEvent(prevHash: string, e: ChainedEvent): string {
  const body = canonicalJson({
    workspaceId: e.workspaceId,
    seq: e.seq,
    time: e.createdAt.toISOString(),
    actor: { type: e.actorType, id: e.actorId },
    action: e.action,
    target: e.target,
    ip: e.ip,
    data: e.data,
  });
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}
