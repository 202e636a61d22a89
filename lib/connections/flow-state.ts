// The one-time `state` of an authorization in progress (SPEC §12): bound to the portal session that started it,
// valid 10 minutes, consumed atomically by the callback of that same session only (one script: compare the session,
// then delete), so a replayed or raced callback finds nothing, and another session's callback cannot even burn it.
// Redis holds it under the hash of the state, sealed with a key derived from the state itself (AES-256-GCM): the
// PKCE verifier and nonce are never readable from Redis alone, only with the state the browser carries back.
import "server-only";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { generateOpaqueId, isOpaqueId, sha256Hex } from "../crypto/opaque";
import { uuidSchema } from "../db/sql";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
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

const keyFor = (state: string) => createHash("sha256").update(`gatehouse/oauth-flow/v1\0${state}`).digest();

function sealRecord(state: string, stateHash: string, json: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(state), nonce);
  cipher.setAAD(Buffer.from(stateHash));
  const data = Buffer.concat([cipher.update(json, "utf8"), cipher.final()]);
  return Buffer.concat([nonce, data, cipher.getAuthTag()]).toString("base64");
}

function openRecord(state: string, stateHash: string, sealed: string): string | null {
  try {
    const b = Buffer.from(sealed, "base64");
    if (b.length < 12 + 16) return null;
    const decipher = createDecipheriv("aes-256-gcm", keyFor(state), b.subarray(0, 12));
    decipher.setAAD(Buffer.from(stateHash));
    decipher.setAuthTag(b.subarray(b.length - 16));
    return Buffer.concat([decipher.update(b.subarray(12, b.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** Stores the flow and returns its state (a fresh opaque id). Redis errors propagate (→ 503). */
export async function saveFlow(record: Omit<FlowRecord, "createdAt">): Promise<string> {
  const state = generateOpaqueId();
  const stateHash = sha256Hex(state);
  const full: FlowRecord = { ...record, createdAt: Date.now() };
  // The session ref (a hash, shown on the Sessions page too) stays outside the box: the take compares it before it
  // consumes anything.
  const value = `${record.sessionRef}.${sealRecord(state, stateHash, JSON.stringify(flowRecord.parse(full)))}`;
  await redis.set(redisKeys.oauthFlow(stateHash), value, "EX", FLOW_TTL_SECONDS, "NX");
  return state;
}

const TAKE = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
if string.sub(v, 1, 65) ~= ARGV[1] .. '.' then return 'other_session' end
redis.call('DEL', KEYS[1])
return v`;

/**
 * The flow for this state, consumed, if the portal session `sessionRef` started it: a second call (a replayed
 * callback) gets null; another session gets "other_session" and the flow stays for its own session.
 */
export async function takeFlow(state: unknown, sessionRef: string): Promise<FlowRecord | null | "other_session"> {
  if (!isOpaqueId(state) || !/^[0-9a-f]{64}$/.test(sessionRef)) return null;
  const stateHash = sha256Hex(state);
  const taken = (await durably((r) => r.eval(TAKE, 1, redisKeys.oauthFlow(stateHash), sessionRef))) as string | null;
  if (taken === "other_session") return "other_session";
  if (typeof taken !== "string" || taken.length < 66) return null;
  const record = parseRecord(flowRecord, openRecord(state, stateHash, taken.slice(65)));
  if (!record || record.sessionRef !== sessionRef || Date.now() - record.createdAt > FLOW_TTL_SECONDS * 1000) return null;
  return record;
}
