import "server-only";
import { getConfig } from "../config";
import { redis } from "./client";

// Under the 1 s command timeout, so a replica that does not answer gives a clean NOREPLICAS, not a timeout.
const WAIT_MS = 500;

/**
 * Under Sentinel, a failover promotes a replica, and replication is asynchronous: a write the master acknowledged
 * a moment before it died may never have reached the replica. Writes that decide access (a one-time link consumed,
 * a session created or ended, a replay guard, a refresh lease) call this before anything is answered: every write
 * this process sent so far must have reached a replica (WAIT), or the request fails closed with 503 (SPEC §14).
 * A consumption that fails here stays consumed on the master; the caller never gets what it would have opened.
 * One node has nothing to fail over to; a Cluster routes a keyless WAIT to an arbitrary node, so it is not used there.
 */
export async function replicated(): Promise<void> {
  if (getConfig().redis.kind !== "sentinel") return;
  const acknowledged = await redis.wait(1, WAIT_MS);
  if (acknowledged < 1) throw Object.assign(new Error("NOREPLICAS no replica acknowledged the write in time"), { code: "NOREPLICAS" });
}
