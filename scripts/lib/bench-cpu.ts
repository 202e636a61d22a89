// Where the CPU goes during a load run (Linux only; elsewhere it reports nothing): the Next server, every
// postgres and redis-server process on the machine, this process (autocannon), from /proc/<pid>/stat, and
// whatever else kept the machine busy meanwhile (from /proc/stat).
import { readdirSync, readFileSync } from "node:fs";

/** `server` is every server process tree together; `servers` each one's, in the order of the pids given. */
export type CpuSnapshot = { at: number; server: number; servers: number[]; postgres: number; redis: number; client: number; machine: number } | null;

/** Busy CPU time of the whole machine (all cores), from the first line of /proc/stat. */
function machineBusyMs(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: everything but idle and iowait is busy.
  const busy = fields.reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0);
  return busy * TICK_MS;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux we run on

function procStat(pid: string): { comm: string; ppid: number; ms: number; childrenMs: number } | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = raw.lastIndexOf(")");
    const comm = raw.slice(raw.indexOf("(") + 1, close);
    const fields = raw.slice(close + 2).split(" ");
    // fields[0] is state (field 3); utime and stime are fields 14 and 15, cutime and cstime (reaped children) 16, 17.
    return {
      comm,
      ppid: Number(fields[1]),
      ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
      childrenMs: (Number(fields[13]) + Number(fields[14])) * TICK_MS,
    };
  } catch {
    return null;
  }
}

export function cpuSnapshot(serverPids: number | undefined | (number | undefined)[]): CpuSnapshot {
  const pids = Array.isArray(serverPids) ? serverPids : [serverPids];
  if (process.platform !== "linux" || !pids.length || pids.some((p) => !p)) return null;
  const procs = new Map<number, { comm: string; ppid: number; ms: number; childrenMs: number }>();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const s = procStat(pid);
    if (s) procs.set(Number(pid), s);
  }
  const serverTree = (pid: number): number => {
    for (let p: number | undefined = pid, depth = 0; p && depth < 10; p = procs.get(p)?.ppid, depth++) {
      const i = pids.indexOf(p);
      if (i >= 0) return i;
    }
    return -1;
  };
  const servers = pids.map(() => 0);
  let postgres = 0;
  let redis = 0;
  for (const [pid, s] of procs) {
    const tree = serverTree(pid);
    if (tree >= 0) servers[tree] = (servers[tree] ?? 0) + s.ms;
    // The postmaster's reaped-children time keeps backends that exit during a run (idle pool connections) counted.
    else if (s.comm === "postgres") postgres += s.ms + s.childrenMs;
    else if (s.comm.startsWith("redis-server")) redis += s.ms;
  }
  const self = process.cpuUsage();
  return { at: performance.now(), server: servers.reduce((a, b) => a + b, 0), servers, postgres, redis, client: (self.user + self.system) / 1000, machine: machineBusyMs() };
}

/** CPU milliseconds per request of each party between two snapshots, and the share of one core each used. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number) {
  if (!before || !after || !requests) return null;
  const wall = after.at - before.at;
  const parts = (["server", "postgres", "redis", "client"] as const).map((k) => {
    const ms = after[k] - before[k];
    return { name: k, msPerRequest: ms / requests, cores: ms / wall };
  });
  // Everything else that ran meanwhile (other people's tests, builds): high values mean a noisy measurement.
  const other = after.machine - before.machine - parts.reduce((a, p) => a + p.msPerRequest * requests, 0);
  parts.push({ name: "other" as (typeof parts)[number]["name"], msPerRequest: other / requests, cores: other / wall });
  return parts;
}
