// Single-flight refresh of a connection's access token (SPEC §12, §14): exactly one refresh_token grant at the
// provider per connection however many workers read it at once, on any number of instances.
//
// One Redis lease per connection (`connectionRefresh(id)`). Its holder re-reads the row: if the version moved past
// what the caller saw, someone already refreshed and that is the answer; otherwise it asks the authorization server
// once, stores the result over exactly the version it read (compare-and-set, audited in the same transaction), and
// in one script writes the outcome under the version it refreshed and releases the lease. Everyone else polls for
// that outcome (or for the lease to go) and never calls the provider themselves while it is there. Within one
// process, callers for the same connection and version share one promise, so only one of them polls Redis.
// Never called while audit locks are held: the credentials batch hands the work back to its caller first.
import "server-only";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { AuditActor } from "../audit";
import { DecryptError } from "../crypto/secret-box";
import { AppError } from "../errors";
import { log } from "../log";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";
import { isRefreshDue, isTokenExpired } from "./freshness";
import { refreshUpstream, type McpRefresher } from "./refresh-upstream";
import { markNeedsReconnect, readConnectionById, storeRefreshedTokens, type ConnectionWithTokens } from "./store";

/** Longer than the upstream call (5 s outbound timeout, plus discovery) and the database writes around it. */
const LEASE_MS = 30_000;
/** How long a caller waits for another's refresh before answering 503. */
const WAIT_MS = 12_000;
const POLL_MS = 40;
// Long enough for every waiter to read it; "unavailable" is short so the provider is asked again soon, but at most
// once per this interval per connection however many workers keep reading.
const OUTCOME_TTL_MS = { ok: 30_000, dead: 30_000, gone: 30_000, failed: 5_000, unavailable: 3_000 } as const;

/**
 * ok: the version to serve (produced by this refresh, or found newer). dead: marked needs_reconnect (audited).
 * gone: the connection no longer exists. failed: its tokens do not decrypt. The caller's next read decides the
 * answer from the row; only `unavailable` is thrown (AppError "unavailable", 503).
 */
export type RefreshResult = { outcome: "ok"; version: number } | { outcome: "dead" | "gone" | "failed" };

type StoredOutcome = RefreshResult | { outcome: "unavailable" };

const storedOutcome = z.union([
  z.strictObject({ outcome: z.literal("ok"), version: z.number().int().min(1) }),
  z.strictObject({ outcome: z.enum(["dead", "gone", "failed", "unavailable"]) }),
]);

// Both keys carry the connection id as hash tag, so this stays one slot on Redis Cluster.
const FINISH = `
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export type RefreshRequest = {
  workspaceId: string;
  userId: string;
  connectionId: string;
  /** The version the caller read; a different one in the row means someone else refreshed already. */
  seenVersion: number;
  actor: AuditActor;
  /** lib/mcp's refresher, for a connection to an MCP server. */
  mcp?: McpRefresher;
};

const inFlight = new Map<string, Promise<RefreshResult>>();

/** Throws AppError("unavailable") when the provider cannot answer now, or Redis/PostgreSQL errors (→ 503). */
export function refreshConnection(request: RefreshRequest): Promise<RefreshResult> {
  const key = `${request.workspaceId}:${request.connectionId}:${request.seenVersion}`;
  const running = inFlight.get(key);
  if (running) return running;
  const promise = singleFlight(request).finally(() => inFlight.delete(key));
  inFlight.set(key, promise);
  return promise;
}

/**
 * Runs `fn` holding the connection's refresh lease, so no refresh can rotate its tokens meanwhile (disconnect:
 * read, revoke, delete). Waits for a running refresh to end; 503 if the lease does not come free in time.
 */
export async function withRefreshLease<T>(connectionId: string, fn: () => Promise<T>): Promise<T> {
  const lockKey = redisKeys.connectionRefresh(connectionId);
  const owner = randomBytes(16).toString("base64url");
  const deadline = Date.now() + WAIT_MS + LEASE_MS;
  // A lease a failover could forget would let another instance refresh too: taken durably.
  while ((await durably((r) => r.set(lockKey, owner, "PX", LEASE_MS, "NX"))) !== "OK") {
    if (Date.now() + POLL_MS > deadline) throw unavailable();
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await fn();
  } finally {
    await release(lockKey, owner).catch(() => false);
  }
}

function unavailable(): AppError {
  return new AppError("unavailable", "The connected account's provider could not be reached. Try again in a minute.");
}

function settle(stored: StoredOutcome): RefreshResult {
  if (stored.outcome === "unavailable") throw unavailable();
  return stored;
}

function parseStored(raw: string | null): StoredOutcome | null {
  if (raw === null) return null;
  try {
    const parsed = storedOutcome.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

async function singleFlight(request: RefreshRequest): Promise<RefreshResult> {
  const { connectionId, seenVersion } = request;
  const lockKey = redisKeys.connectionRefresh(connectionId);
  const outcomeKey = redisKeys.connectionRefreshOutcome(connectionId, seenVersion);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const [outcome, holder] = await redis.mget(outcomeKey, lockKey);
    const stored = parseStored(outcome ?? null);
    if (stored) return settle(stored);
    if (holder === null) {
      const owner = randomBytes(16).toString("base64url");
      const taken = await durably((r) => r.set(lockKey, owner, "PX", LEASE_MS, "NX")).catch(async (err: unknown) => {
        await release(lockKey, owner).catch(() => false);
        throw err;
      });
      if (taken === "OK") return settle(await asHolder(request, lockKey, outcomeKey, owner));
    }
    if (Date.now() + POLL_MS > deadline) {
      log.warn({ connectionId }, "gave up waiting for another refresh of a connection");
      throw unavailable();
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Under the lease. Whatever happens, the lease is released; an outcome is written whenever one is known. */
async function asHolder(request: RefreshRequest, lockKey: string, outcomeKey: string, owner: string): Promise<StoredOutcome> {
  let finished = false;
  const finish = async (stored: StoredOutcome): Promise<StoredOutcome> => {
    await redis.eval(FINISH, 2, lockKey, outcomeKey, owner, JSON.stringify(stored), OUTCOME_TTL_MS[stored.outcome]);
    finished = true;
    return stored;
  };
  try {
    // A holder that finished between our look and our lease left its outcome: take it rather than ask again.
    const earlier = parseStored(await redis.get(outcomeKey));
    if (earlier) {
      await release(lockKey, owner);
      finished = true;
      return earlier;
    }
    return await refreshUnderLease(
      request,
      finish,
      async () => {
        await release(lockKey, owner);
        finished = true;
      },
      async () => (await redis.get(lockKey)) === owner,
    );
  } finally {
    if (!finished) await release(lockKey, owner).catch(() => false);
  }
}

async function release(lockKey: string, owner: string) {
  return (await redis.eval(RELEASE, 1, lockKey, owner)) === 1;
}

async function readRow(request: RefreshRequest): Promise<ConnectionWithTokens | null | "failed"> {
  try {
    return await readConnectionById({ workspaceId: request.workspaceId, userId: request.userId, id: request.connectionId });
  } catch (err) {
    if (!(err instanceof DecryptError)) throw err;
    log.warn({ connectionId: request.connectionId, reason: err.reason }, "a connection's tokens could not be decrypted for a refresh");
    return "failed";
  }
}

async function refreshUnderLease(
  request: RefreshRequest,
  finish: (stored: StoredOutcome) => Promise<StoredOutcome>,
  releaseOnly: () => Promise<void>,
  stillHeld: () => Promise<boolean>,
): Promise<StoredOutcome> {
  const { connectionId, seenVersion, actor } = request;
  const row = await readRow(request);
  if (row === "failed") return finish({ outcome: "failed" });
  if (row === null) return finish({ outcome: "gone" });
  if (row.version !== seenVersion) {
    // Refreshed (or reconnected, or marked) since the caller read it: the row as it is now is the answer.
    await releaseOnly();
    return row.status === "active" ? { outcome: "ok", version: row.version } : { outcome: "dead" };
  }
  if (row.status !== "active") return finish({ outcome: "dead" });
  const now = new Date();
  if (!isRefreshDue({ expiresAt: row.accessExpiresAt, obtainedAt: row.obtainedAt }, now)) {
    await releaseOnly();
    return { outcome: "ok", version: row.version };
  }
  const refreshToken = row.tokens.refreshToken;
  if (refreshToken === null) {
    // Nothing to refresh with: a token still valid is served until it expires, then the user must reconnect.
    if (!isTokenExpired({ expiresAt: row.accessExpiresAt }, now)) {
      await releaseOnly();
      return { outcome: "ok", version: row.version };
    }
    return finish(await giveUp(row, "expired_without_refresh_token", actor));
  }

  let upstream;
  try {
    upstream = await refreshUpstream(row, refreshToken, request.mcp);
  } catch (err) {
    log.warn({ connectionId, kind: (err as { code?: string })?.code ?? "error" }, "a connection refresh failed before reaching the provider");
    return finish({ outcome: "unavailable" });
  }

  if (upstream.kind === "unavailable") {
    log.warn({ connectionId, why: upstream.why }, "a connection's provider could not refresh its token");
    return finish({ outcome: "unavailable" });
  }
  if (upstream.kind === "invalid_grant") {
    // Another instance may have refreshed with a lease we think we hold (lost to expiry or failover): re-read.
    const again = await readRow(request);
    if (again === "failed") return finish({ outcome: "failed" });
    if (again === null) return finish({ outcome: "gone" });
    if (again.version !== seenVersion) return finish(again.status === "active" ? { outcome: "ok", version: again.version } : { outcome: "dead" });
    // A lease lost while we waited on the provider means another holder may be storing a refresh right now (its
    // rotation is what made ours invalid): never declare the connection dead on that; the next read decides.
    if (!(await stillHeld())) {
      log.warn({ connectionId }, "invalid_grant after the refresh lease was lost; not marking the connection");
      return finish({ outcome: "unavailable" });
    }
    return finish(await giveUp(again, "invalid_grant", actor));
  }

  let stored: number | null;
  try {
    stored = await storeRefreshedTokens({
      connection: row,
      // The provider sent no new refresh token: the one we used stays valid (no rotation at this provider).
      tokens: { accessToken: upstream.accessToken, refreshToken: upstream.refreshToken ?? refreshToken, tokenType: upstream.tokenType },
      expiresAt: upstream.expiresAt,
      scopes: upstream.scopes,
      rotated: upstream.refreshToken !== null,
      actor,
    });
  } catch (err) {
    // The provider may have rotated the refresh token we could not store: waiters must not replay the old one now.
    log.error({ connectionId, kind: (err as { code?: string })?.code ?? "error" }, "a refreshed connection could not be stored");
    await finish({ outcome: "unavailable" }).catch(() => undefined);
    throw err;
  }
  if (stored !== null) return finish({ outcome: "ok", version: stored });
  log.warn({ connectionId }, "a connection changed while it was being refreshed; its refresh was not stored");
  const current = await readRow(request);
  if (current === "failed") return finish({ outcome: "failed" });
  if (current === null) return finish({ outcome: "gone" });
  return finish(current.status === "active" ? { outcome: "ok", version: current.version } : { outcome: "dead" });
}

async function giveUp(row: ConnectionWithTokens, reason: string, actor: AuditActor): Promise<StoredOutcome> {
  if (await markNeedsReconnect({ connection: row, reason, actor })) return { outcome: "dead" };
  // Changed meanwhile: the row as it is now.
  const current = await readConnectionById({ workspaceId: row.workspaceId, userId: row.userId, id: row.id }).catch(() => null);
  if (!current) return { outcome: "gone" };
  return current.status === "active" ? { outcome: "ok", version: current.version } : { outcome: "dead" };
}
