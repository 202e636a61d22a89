// Real Redis Cluster, Sentinel and pgbouncer processes on loopback, for the tests (SPEC §14). Each lives in its own
// temp dir and dies with `stop()`. Needs the Debian packages redis-server, redis-tools and pgbouncer.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { canConnect } from "../scripts/lib/services";

function need(binary: string, pkg: string): string {
  for (const dir of ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"]) {
    const p = path.join(dir, binary);
    if (spawnSync("test", ["-x", p]).status === 0) return p;
  }
  throw new Error(`${binary} is not installed: apt-get install -y ${pkg}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${ms} ms`);
}

const cli = (port: number, ...args: string[]) => spawnSync(need("redis-cli", "redis-tools"), ["-h", "127.0.0.1", "-p", String(port), ...args], { encoding: "utf8" });

export type Proc = { port: number; child: ChildProcess; dir: string };

function startRedis(port: number, extra: string[], dir: string): Proc {
  const child = spawn(need("redis-server", "redis-server"), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--logfile", path.join(dir, `redis-${port}.log`), ...extra], { stdio: "ignore" });
  return { port, child, dir };
}

async function stopAll(procs: Proc[], dirs: string[]) {
  await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once("exit", () => resolve());
    p.child.kill("SIGKILL");
  })));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** A 3-master Redis Cluster (no replicas), every slot assigned. */
export async function startRedisCluster(ports?: number[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gh-cluster-"));
  const nodePorts = ports ?? [await freePort(), await freePort(), await freePort()];
  const procs = nodePorts.map((port) => startRedis(port, ["--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "2000"], dir));
  try {
    for (const port of nodePorts) await until(`redis ${port}`, 10_000, () => cli(port, "PING").stdout.trim() === "PONG");
    const created = cli(nodePorts[0]!, "--cluster", "create", ...nodePorts.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes");
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of nodePorts) await until(`cluster state on ${port}`, 15_000, () => /cluster_state:ok/.test(cli(port, "CLUSTER", "INFO").stdout));
  } catch (err) {
    await stopAll(procs, [dir]);
    throw err;
  }
  return { ports: nodePorts, nodes: nodePorts.map((p) => `127.0.0.1:${p}`).join(","), stop: () => stopAll(procs, [dir]) };
}

/**
 * A master, two replicas and three sentinels watching them under `name`, with short failover timeouts. Two
 * replicas, as in production: after a failover the new master still has one to acknowledge writes (replicated.ts).
 */
export async function startRedisSentinel(name = "gatehouse") {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gh-sentinel-"));
  const ports = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const [masterPort, ...rest] = ports as [number, ...number[]];
  const replicaPorts = rest.slice(0, 2);
  const sentinelPorts = rest.slice(2);
  const master = startRedis(masterPort, [], dir);
  const replicas = replicaPorts.map((port) => startRedis(port, ["--replicaof", "127.0.0.1", String(masterPort)], dir));
  const procs = [master, ...replicas];
  try {
    for (const port of replicaPorts) await until("replication", 15_000, () => /master_link_status:up/.test(cli(port, "INFO", "replication").stdout));
    for (const port of sentinelPorts) {
      const conf = path.join(dir, `sentinel-${port}.conf`);
      writeFileSync(conf, [
        `port ${port}`, "bind 127.0.0.1", `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 2`, "",
      ].join("\n"));
      procs.push({ port, dir, child: spawn(need("redis-server", "redis-server"), [conf, "--sentinel", "--logfile", path.join(dir, `sentinel-${port}.log`)], { stdio: "ignore" }) });
    }
    for (const port of sentinelPorts) {
      await until(`sentinel ${port}`, 15_000, () => replicaPorts.every((p) => cli(port, "SENTINEL", "replicas", name).stdout.includes(String(p))));
    }
  } catch (err) {
    await stopAll(procs, [dir]);
    throw err;
  }
  /** The node the sentinels now call master. */
  const currentMaster = () => Number(cli(sentinelPorts[0]!, "SENTINEL", "get-master-addr-by-name", name).stdout.trim().split("\n")[1]);
  return {
    name,
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(","),
    master,
    replicas,
    currentMaster,
    cli,
    stop: () => stopAll(procs, [dir]),
  };
}

/** pgbouncer in transaction mode in front of the local trust-auth Postgres (one database, or all with `*`). */
export async function startPgbouncer({ port, upstream = { host: "127.0.0.1", port: 5432 } }: { port?: number; upstream?: { host: string; port: number } } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gh-pgbouncer-"));
  const listen = port ?? (await freePort());
  const ini = path.join(dir, "pgbouncer.ini");
  // With auth_type trust pgbouncer still only admits the users its auth file names.
  writeFileSync(path.join(dir, "users.txt"), '"postgres" ""\n"root" ""\n');
  writeFileSync(ini, [
    "[databases]", `* = host=${upstream.host} port=${upstream.port}`, "",
    "[pgbouncer]", `listen_addr = 127.0.0.1`, `listen_port = ${listen}`, `unix_socket_dir = ${dir}`,
    "auth_type = trust", `auth_file = ${path.join(dir, "users.txt")}`,
    "pool_mode = transaction", "max_client_conn = 500", "default_pool_size = 20",
    // Nothing that would paper over a client sending session state: no ignore_startup_parameters.
    `logfile = ${path.join(dir, "pgbouncer.log")}`, `pidfile = ${path.join(dir, "pgbouncer.pid")}`, "",
  ].join("\n"));
  // pgbouncer refuses to run as root: as root, it is started as the postgres user, which must own its files.
  const asUser: string[] = [];
  if (process.getuid?.() === 0) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
    if (!uid) throw new Error("pgbouncer cannot run as root and there is no postgres user to run it as");
    for (const f of [dir, ini, path.join(dir, "users.txt")]) chownSync(f, uid, gid);
    asUser.push("-u", "postgres");
  }
  const child = spawn(need("pgbouncer", "pgbouncer"), [...asUser, ini], { stdio: "ignore" });
  const proc: Proc = { port: listen, child, dir };
  try {
    await until("pgbouncer", 10_000, () => canConnect("127.0.0.1", listen, 500));
  } catch (err) {
    await stopAll([proc], [dir]);
    throw err;
  }
  return { port: listen, logfile: path.join(dir, "pgbouncer.log"), stop: () => stopAll([proc], [dir]) };
}
