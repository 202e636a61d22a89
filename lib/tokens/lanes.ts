// Which queue a bearer token's request waits in (SPEC §11: one workspace's flood, or unknown tokens, never starve
// another workspace). A fairness hint only: every request is still authenticated in the database; a missing or
// lost hint puts the token in the lane of unknown tokens, and a `dead` mark only ever refuses.
import "server-only";
import { db } from "../db/client";
import { log } from "../log";
import { subjectDigest } from "../ratelimit/fixed-window";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { tryLock } from "../redis/lock";

export const UNKNOWN_LANE = "unknown";

const DEAD = "dead";
const DEAD_TTL_MS = 3600_000;
const HEALED_TTL_MS = 86_400_000;

/** Same hash tag as the token's rate-limit key, so both are read in one script (lib/auth/bearer.ts). */
export const tokenLaneKey = (token: string) => redisKeys.tokenLane(subjectDigest(token));
// subjectDigest is the first 32 hex digits of SHA-256(token): the first 16 bytes of the stored hash.
const laneKeyOfHash = (hash: Uint8Array) => redisKeys.tokenLane(Buffer.from(hash).subarray(0, 16).toString("hex"));

/** The lane for a hint read from tokenLaneKey, or null when the token is known dead. */
export function laneOf(hint: string | null): string | null {
  if (hint === DEAD) return null;
  return hint ?? UNKNOWN_LANE;
}

// One command per key, not a pipeline: a Cluster only pipelines keys of one slot, and these are spread over all of
// them (SPEC §14). ioredis writes each command without waiting for the previous reply, so it costs no round trips.
async function setLanes(entries: { key: string; value: string; ttlMs: number }[], { onlyIfAbsent }: { onlyIfAbsent: boolean }) {
  const writes = entries
    .filter(({ ttlMs }) => ttlMs > 0)
    .map(({ key, value, ttlMs }) => (onlyIfAbsent ? redis.set(key, value, "PX", ttlMs, "NX") : redis.set(key, value, "PX", ttlMs)));
  const results = await Promise.allSettled(writes);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** After the token's transaction committed. A failure costs fairness, never access: logged, not thrown. */
export async function rememberTokenLane(token: string, workspaceId: string, expiresAt: Date): Promise<void> {
  await setLanes([{ key: tokenLaneKey(token), value: workspaceId, ttlMs: expiresAt.getTime() - Date.now() }], { onlyIfAbsent: false }).catch(warn);
}

/**
 * A live token found without a lane gets one back, for a day at most. Only if still absent: a `dead` written
 * meanwhile by a revocation must win.
 */
export async function healTokenLane(token: string, lane: string, workspaceId: string, expiresAt: Date): Promise<void> {
  if (lane !== UNKNOWN_LANE) return;
  const ttlMs = Math.min(expiresAt.getTime() - Date.now(), HEALED_TTL_MS);
  await setLanes([{ key: tokenLaneKey(token), value: workspaceId, ttlMs }], { onlyIfAbsent: true }).catch(warn);
}

/** The credentials batch found a token it issued no longer live: its next uses are refused from Redis. */
export async function rememberDeadToken(token: string): Promise<void> {
  await setLanes([{ key: tokenLaneKey(token), value: DEAD, ttlMs: DEAD_TTL_MS }], { onlyIfAbsent: false }).catch(warn);
}

/** After a revocation committed: every revoked token of the job (or the one token) is refused from Redis on. */
export async function markRevokedTokensDead(which: { jobId: string } | { id: string }): Promise<void> {
  try {
    const rows = await db.token.findMany({ where: { ...which, revokedAt: { not: null } }, select: { hash: true }, take: 1000 });
    await setLanes(rows.map((r) => ({ key: laneKeyOfHash(r.hash), value: DEAD, ttlMs: DEAD_TTL_MS })), { onlyIfAbsent: false });
  } catch (err) {
    warn(err);
  }
}

// Redis lost its data (a restart without persistence, a failover, eviction): the lanes are written again from
// the database, by one instance, at most every CHECK_EVERY_MS per instance, on a lane miss.
const EPOCH_KEY = redisKeys.tokenLaneEpoch();
const CHECK_EVERY_MS = 30_000;
let lastCheck = 0;

/** Called on a lane miss; never throws, never waits for the rebuild. */
export function ensureLanes(now = Date.now()): void {
  if (now - lastCheck < CHECK_EVERY_MS) return;
  lastCheck = now;
  void rebuildLanesIfLost().catch(warn);
}

/** Writes the lane of every live token unless one is there (a fresher lane or a `dead` mark wins). */
export async function rebuildLanesIfLost(): Promise<{ rebuilt: boolean; tokens: number }> {
  if (await redis.exists(EPOCH_KEY)) return { rebuilt: false, tokens: 0 };
  const lock = await tryLock("token-lanes-rebuild", 120_000);
  if (!lock) return { rebuilt: false, tokens: 0 };
  try {
    let tokens = 0;
    let cursor: string | undefined;
    for (;;) {
      const now = new Date();
      const page = await db.token.findMany({
        where: { revokedAt: null, expiresAt: { gt: now }, OR: [{ graceUntil: null }, { graceUntil: { gt: now } }] },
        select: { id: true, hash: true, workspaceId: true, expiresAt: true },
        orderBy: { id: "asc" },
        take: 2000,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      });
      if (!page.length) break;
      await setLanes(
        page.map((t) => ({ key: laneKeyOfHash(t.hash), value: t.workspaceId, ttlMs: Math.min(t.expiresAt.getTime() - Date.now(), HEALED_TTL_MS) })),
        { onlyIfAbsent: true },
      );
      tokens += page.length;
      cursor = page[page.length - 1]!.id;
    }
    await redis.set(EPOCH_KEY, new Date().toISOString());
    log.info({ tokens }, "token lanes rebuilt from the database");
    return { rebuilt: true, tokens };
  } finally {
    await lock.release();
  }
}

function warn(err: unknown) {
  log.warn({ err: { message: (err as Error)?.message } }, "could not record a token's queue lane");
}
