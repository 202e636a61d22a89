// Makes sure PostgreSQL and Redis answer. When one is down on this machine and its server binaries are
// installed, a project-local instance is started under .gatehouse/ (git-ignored); otherwise we say exactly
// what to install and stop.
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const LOCAL_DIR = path.join(process.cwd(), ".gatehouse");
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export class ServiceError extends Error {}

export function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ""), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitFor(host: string, port: number, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await canConnect(host, port, 500)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function which(bin: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function postgresBinDir(): string | undefined {
  const fromPath = which("pg_ctl");
  if (fromPath) return path.dirname(fromPath);
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "pg_ctl"))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], "bin") : undefined;
}

function run(cmd: string, args: string[], asUser?: string) {
  const [file, argv] = asUser ? ["runuser", ["-u", asUser, "--", cmd, ...args]] : [cmd, args];
  const result = spawnSync(file, argv, { encoding: "utf8" });
  if (result.status !== 0) throw new ServiceError(`${cmd} ${args.join(" ")} failed:\n${result.stderr || result.stdout}`);
}

export async function ensurePostgres(databaseUrl: string, say: (line: string) => void) {
  const url = new URL(databaseUrl);
  const host = url.hostname;
  const port = Number(url.port || 5432);
  if (await canConnect(host, port)) return "running";
  const binDir = postgresBinDir();
  if (!LOCAL_HOSTS.has(host) || !binDir) {
    throw new ServiceError(
      `PostgreSQL is not reachable at ${host}:${port}.\n` +
        (LOCAL_HOSTS.has(host)
          ? "Install it (Debian/Ubuntu: apt-get install -y postgresql) and run this again, or point DATABASE_URL at a running server."
          : "Start that server or point DATABASE_URL at a running one."),
    );
  }
  const dataDir = path.join(LOCAL_DIR, "postgres");
  // initdb and postgres refuse to run as root; use the postgres system user the Debian package creates.
  const asUser = process.getuid?.() === 0 ? "postgres" : undefined;
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    say(`starting a project-local PostgreSQL in ${path.relative(process.cwd(), dataDir)}`);
    mkdirSync(dataDir, { recursive: true });
    if (asUser) chownRecursive(dataDir, asUser);
    run(path.join(binDir, "initdb"), ["-D", dataDir, "-U", url.username || "postgres", "--auth=trust", "-E", "UTF8"], asUser);
  }
  run(
    path.join(binDir, "pg_ctl"),
    // Loopback only, and a socket only its owner can use: trust auth must not make every local user a superuser.
    ["-D", dataDir, "-l", path.join(dataDir, "server.log"), "-o", `-p ${port} -k ${dataDir} -c unix_socket_permissions=0700 -c listen_addresses=127.0.0.1`, "-w", "start"],
    asUser,
  );
  if (!(await waitFor(host, port, 15_000))) throw new ServiceError(`PostgreSQL did not come up; see ${dataDir}/server.log`);
  return "started";
}

function chownRecursive(dir: string, user: string) {
  const ids = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gids = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (ids.status !== 0) throw new ServiceError(`cannot run PostgreSQL as root and there is no "${user}" user to run it as`);
  chownSync(LOCAL_DIR, Number(ids.stdout), Number(gids.stdout));
  chownSync(dir, Number(ids.stdout), Number(gids.stdout));
}

export async function ensureRedis(redisUrl: string, say: (line: string) => void) {
  const url = new URL(redisUrl);
  const host = url.hostname;
  const port = Number(url.port || 6379);
  if (await canConnect(host, port)) return "running";
  const server = which("redis-server");
  if (!LOCAL_HOSTS.has(host) || !server) {
    throw new ServiceError(
      `Redis is not reachable at ${host}:${port}.\n` +
        (LOCAL_HOSTS.has(host)
          ? "Install it (Debian/Ubuntu: apt-get install -y redis-server) and run this again, or point REDIS_URL at a running server."
          : "Start that server or point REDIS_URL at a running one."),
    );
  }
  const dataDir = path.join(LOCAL_DIR, "redis");
  mkdirSync(dataDir, { recursive: true });
  say(`starting a project-local Redis on port ${port}`);
  run(server, [
    "--port", String(port), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "", "--appendonly", "no",
    "--dir", dataDir, "--pidfile", path.join(dataDir, "redis.pid"), "--logfile", path.join(dataDir, "redis.log"),
  ]);
  if (!(await waitFor(host, port, 10_000))) throw new ServiceError(`Redis did not come up; see ${dataDir}/redis.log`);
  return "started";
}

/** Resolves once `url` answers 2xx, or rejects after `ms`. */
export async function waitForHttp(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new ServiceError(`${url} did not answer within ${Math.round(ms / 1000)} s`);
}
