// An admin of several workspaces who signed in at /admin picks one (SPEC §13): the choice waits here, one-time, briefly.
import "server-only";
import { z } from "zod";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { uuidSchema } from "../db/sql";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { parseRecord } from "../redis/record";

export const ADMIN_PENDING_TTL_SECONDS = 300;
/** How long the person has at the identity provider. */
export const ADMIN_SIGN_IN_TTL_SECONDS = 600;

const started = z.object({ createdAt: z.number() });

/**
 * The sign-in this browser starts at /admin: its id goes in a host-only cookie, and the callback takes it once, so a
 * next-auth token planted or copied from elsewhere can never complete a sign-in here (login CSRF, replay).
 */
export async function startAdminSignIn(): Promise<string> {
  const id = generateOpaqueId();
  await redis.set(redisKeys.adminSignIn(sha256Hex(id)), JSON.stringify({ createdAt: Date.now() }), "EX", ADMIN_SIGN_IN_TTL_SECONDS);
  return id;
}

/** When the sign-in started, once; null for anything else. */
export async function takeAdminSignIn(id: unknown): Promise<number | null> {
  if (!isOpaqueId(id)) return null;
  const raw = await durably((r) => r.getdel(redisKeys.adminSignIn(sha256Hex(id))));
  return parseRecord(started, raw)?.createdAt ?? null;
}

const record = z.object({ userId: uuidSchema, workspaceIds: z.array(uuidSchema).min(1).max(100), createdAt: z.number() });
export type AdminPending = z.infer<typeof record>;

export async function createAdminPending({ userId, workspaceIds }: { userId: string; workspaceIds: string[] }): Promise<string> {
  const id = generateOpaqueId();
  await redis.set(redisKeys.adminPending(sha256Hex(id)), JSON.stringify({ userId, workspaceIds, createdAt: Date.now() }), "EX", ADMIN_PENDING_TTL_SECONDS);
  return id;
}

export async function peekAdminPending(id: unknown): Promise<AdminPending | null> {
  if (!isOpaqueId(id)) return null;
  return parseRecord(record, await redis.get(redisKeys.adminPending(sha256Hex(id))));
}

/** One-time: of two concurrent choices, one gets the record. */
export async function takeAdminPending(id: unknown): Promise<AdminPending | null> {
  if (!isOpaqueId(id)) return null;
  const raw = await durably((r) => r.getdel(redisKeys.adminPending(sha256Hex(id))));
  return parseRecord(record, raw);
}
