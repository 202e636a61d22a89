// The scale-out topology of SPEC §14 on loopback, for `npm run test:scale`: a 3-node Redis Cluster, a Redis
// master + replica watched by 3 Sentinels, pgbouncer (transaction pooling) in front of Postgres, `next start`
// instances of the existing production build, and haproxy round-robin in front of two of them. Every process is a
// child in its own process group, so stopAll() ends it and whatever it spawned; ports are chosen at runtime.
import { canConnect as canConnectTo } from "./services";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, createWriteStream, existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export const REDIS_SERVER = "/usr/bin/redis-server";
export const REDIS_CLI = "/usr/bin/redis-cli";
export const PGBOUNCER = "/usr/sbin/pgbouncer";
export const HAPROXY = "/usr/sbin/haproxy";

export const SCALE_READY_PREFIX = "SCALE_READY ";

/** What scripts/scale-harness.ts started, as its `SCALE_READY` line tells the tests. */
export type ScaleTopology = {
  haproxyUrl: string;
  a: string;
  b: string;
  c: string;
  cPid: number;
  directDatabaseUrl: string;
  pgbouncerUrl: string;
  clusterNodes: string;
  sentinel: RedisSentinel;
  telegramFakeUrl: string;
  connectAsUrl: string;
  logDir: string;
  /** What the test workers put in process.env, so e2e/helpers/env.ts describes this topology. */
  env: Record<string, string>;
};

export class TopologyError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** A loopback port nothing listens on now (and, for a cluster node, its bus port +10000 too). */
export async function freePort({ clusterBus = false } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    if (taken.has(port)) continue;
    if (clusterBus && (port + 10000 > 65535 || !(await bindable(port + 10000)))) continue;
    taken.add(port);
    if (clusterBus) taken.add(port + 10000);
    return port;
  }
  throw new TopologyError("no free loopback port found");
}

/** A loopback port that accepts connections (scripts/lib/services.ts's probe, with a short timeout). */
export const canConnect = (port: number, timeoutMs = 500) => canConnectTo("127.0.0.1", port, timeoutMs);

/** Polls `check` until it is true; throws naming `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms: number, everyMs = 150) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(everyMs);
  }
  throw new TopologyError(`${what}: not within ${Math.round(ms / 1000)} s`);
}

export function redisCli(port: number, ...args: string[]) {
  const r = spawnSync(REDIS_CLI, ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8", timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

type Managed = { name: string; child: ChildProcess; exited: Promise<void> };

/** The children of one harness run: each in its own process group, its output in `<logDir>/<name>.log`. */
export class Processes {
  private readonly all: Managed[] = [];
  constructor(readonly logDir: string) {}

  start(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const log = createWriteStream(path.join(this.logDir, `${name}.log`), { flags: "a" });
    const child = spawn(command, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", (err) => {
        log.write(`spawn failed: ${err.message}\n`);
        resolve();
      });
    });
    this.all.push({ name, child, exited });
    return child;
  }

  /** Throws if `child` has exited (a server that refused its config, a port someone else took). */
  alive(child: ChildProcess, name: string) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new TopologyError(`${name} exited (${child.exitCode ?? child.signalCode}); see ${path.join(this.logDir, `${name}.log`)}`);
    }
  }

  /** SIGTERM to every process group, SIGKILL to what is still there after `graceMs`. */
  async stopAll(graceMs = 3000) {
    const running = this.all.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
    for (const m of running) signalGroup(m.child, "SIGTERM");
    const timeout = sleep(graceMs).then(() => "timeout" as const);
    for (const m of running) {
      if ((await Promise.race([m.exited, timeout])) === "timeout") signalGroup(m.child, "SIGKILL");
    }
    await Promise.race([Promise.all(running.map((m) => m.exited)), sleep(2000)]);
  }

  /** Synchronous last resort for process exit: SIGKILL every group still running. */
  killAllNow() {
    for (const m of this.all) if (m.child.exitCode === null && m.child.signalCode === null) signalGroup(m.child, "SIGKILL");
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

// ---- Redis Cluster ------------------------------------------------------------------------------------------------

export type RedisCluster = { ports: number[]; nodes: string };

export async function startRedisCluster(procs: Processes, dir: string, size = 3): Promise<RedisCluster> {
  const ports: number[] = [];
  for (let i = 0; i < size; i++) ports.push(await freePort({ clusterBus: true }));
  const children = ports.map((port) => {
    const nodeDir = path.join(dir, `cluster-${port}`);
    mkdirSync(nodeDir, { recursive: true });
    return procs.start(`redis-cluster-${port}`, REDIS_SERVER, [
      "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
      "--cluster-node-timeout", "5000", "--dir", nodeDir, "--save", "", "--appendonly", "no", "--protected-mode", "no",
    ]);
  });
  await until("redis cluster nodes listening", async () => {
    children.forEach((c, i) => procs.alive(c, `redis-cluster-${ports[i]}`));
    return (await Promise.all(ports.map((p) => canConnect(p)))).every(Boolean);
  }, 10_000);
  const create = redisCli(ports[0]!, "--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes");
  if (!create.ok) throw new TopologyError(`redis-cli --cluster create failed:\n${create.out}`);
  await until("redis cluster_state:ok on every node", () => ports.every((p) => /cluster_state:ok/.test(redisCli(p, "cluster", "info").out)), 15_000);
  return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(",") };
}

// ---- Redis Sentinel -----------------------------------------------------------------------------------------------

export type RedisSentinel = {
  name: string;
  masterPort: number;
  masterPid: number;
  replicaPorts: number[];
  sentinelPorts: number[];
  sentinels: string;
};

/**
 * A master, two replicas and three Sentinels. Two replicas as in production: Gatehouse waits for a replica to
 * acknowledge access writes (lib/redis/replicated.ts), so after a failover the new master must still have one.
 */
export async function startRedisSentinel(procs: Processes, dir: string, name = "gatehouse"): Promise<RedisSentinel> {
  const masterPort = await freePort();
  const replicaPorts = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const server = (port: number, extra: string[]) => {
    const d = path.join(dir, `redis-${port}`);
    mkdirSync(d, { recursive: true });
    return procs.start(`redis-${port}`, REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--dir", d, "--save", "", "--appendonly", "no", ...extra]);
  };
  const master = server(masterPort, []);
  const replicas = replicaPorts.map((port) => server(port, ["--replicaof", "127.0.0.1", String(masterPort)]));
  await until("redis master and replicas listening", async () => {
    procs.alive(master, `redis-${masterPort}`);
    replicas.forEach((r, i) => procs.alive(r, `redis-${replicaPorts[i]}`));
    return (await Promise.all([masterPort, ...replicaPorts].map((p) => canConnect(p)))).every(Boolean);
  }, 10_000);
  await until("replicas in sync", () => replicaPorts.every((p) => /master_link_status:up/.test(redisCli(p, "info", "replication").out)), 15_000);
  const sentinels = sentinelPorts.map((port) => {
    const d = path.join(dir, `sentinel-${port}`);
    mkdirSync(d, { recursive: true });
    const conf = path.join(d, "sentinel.conf");
    // Short timeouts so a failover completes in seconds (SPEC §14's test, not production values).
    writeFileSync(conf, [
      `port ${port}`, "bind 127.0.0.1", `dir ${d}`, "protected-mode no",
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 2`,
      "",
    ].join("\n"));
    return procs.start(`sentinel-${port}`, REDIS_SERVER, [conf, "--sentinel"]);
  });
  await until("every sentinel sees both replicas and the other sentinels", () => {
    sentinels.forEach((c, i) => procs.alive(c, `sentinel-${sentinelPorts[i]}`));
    return sentinelPorts.every((p) => {
      const out = redisCli(p, "sentinel", "master", name).out.replace(/\n/g, " ");
      return /num-slaves 2\b/.test(out) && /num-other-sentinels 2\b/.test(out);
    });
  }, 20_000, 250);
  return { name, masterPort, masterPid: master.pid!, replicaPorts, sentinelPorts, sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(",") };
}

/** The master's port as Sentinel `at` answers it now. */
export function sentinelMasterPort(sentinelPort: number, name: string): number | undefined {
  const out = redisCli(sentinelPort, "sentinel", "get-master-addr-by-name", name).out.trim().split("\n");
  const port = Number(out[1]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

// ---- pgbouncer ----------------------------------------------------------------------------------------------------

export type Pgbouncer = { port: number; databaseUrl: string };

/** pgbouncer in transaction pooling in front of `postgres` (trust auth), for one database. */
export async function startPgbouncer(procs: Processes, dir: string, database: string, postgres = { host: "127.0.0.1", port: 5432, user: "postgres" }): Promise<Pgbouncer> {
  const port = await freePort();
  const d = path.join(dir, "pgbouncer");
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, "userlist.txt"), `"${postgres.user}" ""\n`);
  const ini = path.join(d, "pgbouncer.ini");
  writeFileSync(ini, [
    "[databases]",
    `${database} = host=${postgres.host} port=${postgres.port} dbname=${database} user=${postgres.user}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${port}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${path.join(d, "userlist.txt")}`,
    "pool_mode = transaction",
    "max_client_conn = 1000",
    "default_pool_size = 40",
    "max_db_connections = 80",
    `logfile = ${path.join(d, "pgbouncer.log")}`,
    "",
  ].join("\n"));
  // pgbouncer refuses to run as root; the Debian postgres package brings a postgres user.
  let command = PGBOUNCER;
  let args = [ini];
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
    if (!Number.isInteger(uid) || uid <= 0) throw new TopologyError("pgbouncer cannot run as root and there is no postgres user");
    chmodSync(dir, 0o755);
    chownSync(d, uid, gid);
    for (const f of ["userlist.txt", "pgbouncer.ini"]) chownSync(path.join(d, f), uid, gid);
    command = "runuser";
    args = ["-u", "postgres", "--", PGBOUNCER, ini];
  }
  const child = procs.start("pgbouncer", command, args);
  await until("pgbouncer listening", async () => {
    procs.alive(child, "pgbouncer");
    return canConnect(port);
  }, 10_000);
  return { port, databaseUrl: `postgresql://${postgres.user}@127.0.0.1:${port}/${database}` };
}

// ---- next start and haproxy ---------------------------------------------------------------------------------------

export type Instance = { name: string; port: number; url: string; pid: number };

export function buildPresent(root = process.cwd()) {
  return existsSync(path.join(root, ".next", "BUILD_ID"));
}

/** `next start` of the existing production build; resolves when /api/ready answers 200. */
export async function startInstance(procs: Processes, name: string, port: number, env: Record<string, string>, readyMs = 60_000): Promise<Instance> {
  const bin = path.join(process.cwd(), "node_modules", ".bin", "next");
  const child = procs.start(name, bin, ["start", "-p", String(port), "-H", "127.0.0.1"], { ...process.env, ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await until(`${name} (${url}) /api/ready 200`, async () => {
    procs.alive(child, name);
    try {
      return (await fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(2000) })).status === 200;
    } catch {
      return false;
    }
  }, readyMs, 250);
  return { name, port, url, pid: child.pid! };
}

export type Haproxy = { port: number; url: string };

/**
 * haproxy round-robin over `backends`, health-checking /api/ready; X-Scale-Server names who answered. No
 * `option forwardfor`: as in e2e, each test request's own X-Forwarded-For stands for the one proxy hop
 * (TRUST_PROXY_HOPS=1), so requests through haproxy and straight to an instance count alike.
 */
export async function startHaproxy(procs: Processes, dir: string, port: number, backends: Instance[]): Promise<Haproxy> {
  const cfg = path.join(dir, "haproxy.cfg");
  writeFileSync(cfg, [
    "global",
    "  maxconn 4000",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend gatehouse",
    `  bind 127.0.0.1:${port}`,
    "  default_backend instances",
    "backend instances",
    "  balance roundrobin",
    "  option httpchk GET /api/ready",
    "  http-check expect status 200",
    "  default-server inter 1s fall 2 rise 2",
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
    "  http-response set-header X-Scale-Server %s",
    "",
  ].join("\n"));
  const check = spawnSync(HAPROXY, ["-c", "-q", "-f", cfg], { encoding: "utf8" });
  if (check.status !== 0) throw new TopologyError(`haproxy config refused:\n${check.stdout}${check.stderr}`);
  const child = procs.start("haproxy", HAPROXY, ["-db", "-f", cfg]);
  const url = `http://localhost:${port}`;
  const seen = new Set<string>();
  await until(`haproxy (${url}) answering from every instance`, async () => {
    procs.alive(child, "haproxy");
    try {
      const res = await fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) seen.add(res.headers.get("x-scale-server") ?? "");
    } catch {
      // not up yet
    }
    return backends.every((b) => seen.has(b.name));
  }, 15_000, 100);
  return { port, url };
}
