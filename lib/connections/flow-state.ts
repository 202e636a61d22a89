// The one-time `state` of an authorization in progress (SPEC §12): bound to the portal session that started it,
// valid 10 minutes, consumed atomically by the callback (GETDEL), so a replayed or raced callback finds nothing.
// Redis holds it under the hash of the state; the PKCE verifier and nonce never leave the server.
import "server-only";
import { z } from "zod";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { uuidSchema } from "../db/sql";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { parseRecord } from "../redis/record";

export const FLOW_TTL_SECONDS = 600;

const flowRecord = z.object({
  /** The portal session (its hash) that started the flow; the callback must come with the same session. */
  sessionRef: z.string().regex(/^[0-9a-f]{64}$/),
  workspaceId: uuidSchema,
  userId: uuidSchema,
  target: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("provider"), providerId: z.string().min(1).max(32) }),
    z.object({ kind: z.literal("mcp"), serverUrl: z.string().min(1).max(2048), issuer: z.string().min(1).max(2048), resource: z.string().min(1).max(2048) }),
  ]),
  codeVerifier: z.string().min(43).max(128),
  nonce: z.string().min(1).max(128).nullable(),
  redirectUri: z.string().min(1).max(2048),
  createdAt: z.number(),
});
export type FlowRecord = z.infer<typeof flowRecord>;
export type FlowTarget = FlowRecord["target"];

/** Stores the flow and returns its state (a fresh opaque id). Redis errors propagate (→ 503). */
export async function saveFlow(record: Omit<FlowRecord, "createdAt">): Promise<string> {
  const state = generateOpaqueId();
  const full: FlowRecord = { ...record, createdAt: Date.now() };
  await redis.set(redisKeys.oauthFlow(sha256Hex(state)), JSON.stringify(flowRecord.parse(full)), "EX", FLOW_TTL_SECONDS, "NX");
  return state;
}

/** The flow for this state, consumed: a second call (a replayed callback) gets null. */
export async function takeFlow(state: unknown): Promise<FlowRecord | null> {
  if (!isOpaqueId(state)) return null;
  const raw = await redis.getdel(redisKeys.oauthFlow(sha256Hex(state)));
  const record = parseRecord(flowRecord, raw);
  if (!record || Date.now() - record.createdAt > FLOW_TTL_SECONDS * 1000) return null;
  return record;
}
