import "server-only";
import type { Redis } from "ioredis";
import { getConfig } from "../config";
import { onCloseLazyClients } from "../lazy";
import { log } from "../log";
import { createRedisClient, redis } from "./client";

// Under the 1 s command timeout, so a replica that does not answer gives a clean NOREPLICAS, not a timeout.
const WAIT_MS = 500;

const noReplica = () => Object.assign(new Error("NOREPLICAS no replica acknowledged the write in time"), { code: "NOREPLICAS" });

// The writes that decide access have a connection of their own under Sentinel: WAIT blocks the connection it is
// sent on, so on the shared one a lagging replica would hold up every other request's commands. It never resends a
// command after a reconnect, and counts its connections: a WAIT must be answered by the master that took the write.
let generation = 0;
let durable: Redis | undefined;

function connect(): Redis {
  const client = createRedisClient(getConfig().redis, { autoResendUnfulfilledCommands: false, enableAutoPipelining: false });
  // Every connection after the first: a write queued before the first one is sent on it, and stays valid.
  let connections = 0;
  client.on("ready", () => {
    connections += 1;
    if (connections > 1) generation += 1;
  });
  client.on("error", () => undefined); // the shared client logs connection trouble
  return client;
}

/** The durable connection; a new one if the last one ended (ioredis gave up on it during a failover). */
export function durableConnection(): Redis {
  if (!durable || durable.status === "end") {
    if (durable) {
      generation += 1;
      log.warn({}, "redis durable connection ended; opening a new one");
    }
    durable = connect();
  }
  return durable;
}

/** Tests and the CLI close it like the other clients. */
async function closeDurableConnection() {
  const client = durable;
  durable = undefined;
  if (client) await client.quit().catch(() => client.disconnect());
}

/**
 * A write that decides access: a one-time link, sign-in or OAuth state consumed, a session created or ended, an
 * initData replay guard, a refresh lease. Under Sentinel a failover promotes a replica, and replication is
 * asynchronous: a write the master acknowledged just before it died may never have reached the replica. So the
 * write is sent on the durable connection and followed by WAIT: a replica must have it before anything is
 * answered, or the request fails closed with 503 (SPEC §14). A consumption that fails here stays consumed on the
 * master; the caller never gets what it would have opened.
 * One node and Cluster run the write on the shared client without waiting (see the README's Scale-out section).
 */
export async function durably<T>(write: (client: Redis) => Promise<T>): Promise<T> {
  if (getConfig().redis.kind !== "sentinel") return write(redis);
  const client = durableConnection();
  const before = generation;
  const result = await write(client);
  // A reconnect between the write and the WAIT may have moved to a new master that never saw the write.
  if (generation !== before) throw noReplica();
  const acknowledged = await client.wait(1, WAIT_MS);
  if (generation !== before || acknowledged < 1) throw noReplica();
  return result;
}

/** Readiness under Sentinel: the master has a replica online to acknowledge writes (read, never blocking). */
export async function hasReplica(): Promise<boolean> {
  if (getConfig().redis.kind !== "sentinel") return true;
  const info = await redis.info("replication");
  return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) > 0;
}

onCloseLazyClients(closeDurableConnection);
