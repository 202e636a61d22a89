// Which queue a bearer token's request waits in (SPEC §11: one workspace's flood, or unknown tokens, never starve
// another workspace). A fairness hint only: every request is still authenticated in the database; a missing or
// lost hint just puts the token in the lane of unknown tokens.
import "server-only";
import { log } from "../log";
import { subjectDigest } from "../ratelimit/fixed-window";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";

export const UNKNOWN_LANE = "unknown";

/** Same hash tag as the token's rate-limit key, so both are read in one script (lib/auth/bearer.ts). */
export const tokenLaneKey = (token: string) => redisKeys.tokenLane(subjectDigest(token));

/** After the token's transaction committed; a failure costs fairness, never access, so it is logged, not thrown. */
export async function rememberTokenLane(token: string, workspaceId: string, expiresAt: Date): Promise<void> {
  const ttlMs = expiresAt.getTime() - Date.now();
  if (ttlMs <= 0) return;
  try {
    await redis.set(tokenLaneKey(token), workspaceId, "PX", ttlMs);
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, "could not record a token's queue lane");
  }
}

/** A live token found without a lane (issued before lanes, or Redis lost it) gets one, for a day at most. */
export async function healTokenLane(token: string, lane: string, workspaceId: string, expiresAt: Date): Promise<void> {
  if (lane !== UNKNOWN_LANE) return;
  await rememberTokenLane(token, workspaceId, new Date(Math.min(expiresAt.getTime(), Date.now() + 86_400_000)));
}

// Written over the lane once the database found no live token with that hash: its next uses are refused from
// Redis, before any queue. A denial only (fail closed), and true for good: a token that is not live never revives.
const DEAD = "dead";
const DEAD_TTL_MS = 3600_000;

export async function rememberDeadToken(token: string): Promise<void> {
  await redis.set(tokenLaneKey(token), DEAD, "PX", DEAD_TTL_MS).catch(() => undefined);
}

/** The lane for a hint read from tokenLaneKey, or null when the token is known dead. */
export function laneOf(hint: string | null): string | null {
  if (hint === DEAD) return null;
  return hint ?? UNKNOWN_LANE;
}
