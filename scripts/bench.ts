// npm run bench [-- --duration 10 --connections 10 --grants 5 --port 3300 --rounds 1 --skip-build --cpu-prof DIR --check --diagnose]
// npm run bench -- --flood [--flood-connections 2500 --check]
// npm run bench -- --instances 2 [--haproxy]
//
// SPEC §11: the credentials endpoint against a trivial route handler of the same production build, in one run.
// Builds, starts `next start` on a fresh database, seeds through the real library code and the real HTTP API,
// then loads GET /api/health and GET /api/v1/worker/jobs/{id}/credentials with autocannon and prints
// req/s, p50, p99 and the ratio. Every credentials response must be a 200, and afterwards every one of them must
// have its `credentials.served` audit row in a chain that verifies; otherwise it fails loudly.
// --diagnose adds runs that peel the credentials request apart (where the time goes): the trivial route with the
// same Authorization header, the credentials route refused before any I/O, and refused after the Redis budget.
// --flood (SPEC §11): another workspace's reads during floods of 2,500 concurrent connections, side by side in one
// run: against the trivial route (the framework's own limit), with random tokens from one address and from a new
// address per request, and with revoked tokens of a third workspace. The reads must all be 200, with p99 no worse
// than under the trivial flood.
// --instances N starts N `next start` processes over the same database and Redis (ports --port, --port+1, … or
// free ones) and splits --connections over them: one autocannon run per instance, all at once, for each route. It
// prints each instance's req/s and CPU, the sum, and the ratio of the sums (the trivial route measured the same
// way). --haproxy puts them behind one haproxy (round robin, /usr/sbin/haproxy) and loads that instead.
//
// Other runs may share this tree: wrap it in the build lock, e.g. `flock /tmp/gatehouse-e2e.lock npm run bench`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomInt } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { combine, load, type LoadResult } from "./lib/bench-autocannon";
import { cpuPerRequest, cpuSnapshot } from "./lib/bench-cpu";
import { recreateTestDatabase } from "./lib/migrate";
import { waitForHttp } from "./lib/services";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    grants: { type: "string", default: "5" },
    port: { type: "string", default: "3300" },
    rounds: { type: "string", default: "1" },
    warmup: { type: "string", default: "3" },
    "skip-build": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    check: { type: "boolean", default: false },
    diagnose: { type: "boolean", default: false },
    flood: { type: "boolean", default: false },
    "flood-connections": { type: "string", default: "2500" },
    instances: { type: "string", default: "1" },
    haproxy: { type: "boolean", default: false },
  },
});

const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const GRANTS = Number(args.grants);
const ROUNDS = Number(args.rounds);
const WARMUP = Number(args.warmup);
const INSTANCES = Number(args.instances);
for (const [name, v, min] of [["duration", DURATION, 1], ["connections", CONNECTIONS, 1], ["grants", GRANTS, 0], ["rounds", ROUNDS, 1], ["warmup", WARMUP, 0], ["instances", INSTANCES, 1]] as const) {
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
}
if (GRANTS > 20) throw new Error("--grants: a job has at most 20 grants");
if (INSTANCES > 1 && args.flood) throw new Error("--flood runs against one instance");
if (args.haproxy && INSTANCES < 2) throw new Error("--haproxy needs --instances 2 or more");
if (INSTANCES > 1 && !args.haproxy && CONNECTIONS < INSTANCES) throw new Error("--connections must be at least --instances");

const TARGET_RATIO = 0.85;
const TARGET_P99_MS = 25;

// A disposable database (the migrate helper only drops gatehouse_*test*/*e2e* names) and Redis db 6.
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/gatehouse_bench_e2e";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/6";

const say = (line: string) => process.stdout.write(`bench: ${line}\n`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "0.0.0.0", () => server.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  if (await portIsFree(preferred)) return preferred;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "0.0.0.0", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function build() {
  say("next build");
  const result = spawnSync("npx", ["next", "build"], {
    stdio: "inherit",
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status})`);
}

function startServer(env: Record<string, string>, port: number): ChildProcess {
  const nodeArgs: string[] = [];
  if (args["cpu-prof"]) {
    const dir = path.resolve(args["cpu-prof"]);
    mkdirSync(dir, { recursive: true });
    nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
  }
  // node straight on Next's CLI (not npx), so a profiler flag lands on the process that serves.
  const child = spawn(process.execPath, [...nodeArgs, path.join("node_modules", "next", "dist", "bin", "next"), "start", "-p", String(port)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return child;
}

/** Round robin over the instances; haproxy adds X-Forwarded-For, so TRUST_PROXY_HOPS=1 holds behind it too. */
function startHaproxy(port: number, backends: number[]): ChildProcess {
  const config = [
    "global",
    "  maxconn 4000",
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  option http-keep-alive",
    "frontend bench",
    `  bind 127.0.0.1:${port}`,
    "  option forwardfor",
    "  default_backend gatehouse",
    "backend gatehouse",
    "  balance roundrobin",
    ...backends.map((p, i) => `  server next${i + 1} 127.0.0.1:${p}`),
    "",
  ].join("\n");
  const file = path.join(os.tmpdir(), `gatehouse-bench-haproxy-${process.pid}.cfg`);
  writeFileSync(file, config);
  return spawn("/usr/sbin/haproxy", ["-db", "-f", file], { stdio: ["ignore", "inherit", "inherit"] });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "-");

function table(rows: LoadResult[], ratio: number) {
  const header = ["route", "requests", "req/s", "p50 ms", "p99 ms", "mean ms", "max ms", "statuses"];
  const body = rows.map((r) => [
    r.label,
    String(r.requests),
    r.reqPerSec.toFixed(0),
    ms(r.p50),
    ms(r.p99),
    ms(r.mean),
    ms(r.max),
    Object.entries(r.statuses).map(([code, n]) => `${code}×${n}`).join(" ") + (r.errors ? ` errors×${r.errors}` : "") + (r.timeouts ? ` timeouts×${r.timeouts}` : ""),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${body.map(line).join("\n")}\n`);
  if (Number.isFinite(ratio)) process.stdout.write(`\nratio credentials/trivial (req/s): ${ratio.toFixed(3)}\n`);
}

/** Each route's sum row, preceded by its instances' own rows when there are several. */
function withInstances(rows: (LoadResult & { each?: LoadResult[] })[]): LoadResult[] {
  return rows.flatMap((r) => (r.each?.length ? [...r.each, { ...r, label: `${r.label}, sum` }] : [r]));
}

function instanceCpu(rows: (LoadResult & { each?: (LoadResult & { cpuMs: number | null })[] })[]) {
  if (!rows.some((r) => r.each?.length)) return;
  process.stdout.write("next server cpu per request, ms, each instance over its own requests:\n");
  for (const r of rows) process.stdout.write(`  ${r.label.padEnd(30)} ${r.each!.map((e) => (e.cpuMs === null ? "-" : e.cpuMs.toFixed(3))).join(" | ")}\n`);
}

function cpuTable(rows: (LoadResult & { cpu: ReturnType<typeof cpuPerRequest> })[]) {
  if (!rows.every((r) => r.cpu)) return;
  process.stdout.write("\ncpu per request, ms (share of one core): next server | postgres (all) | redis | autocannon | other processes\n");
  for (const r of rows) {
    const cells = r.cpu!.map((p) => `${p.msPerRequest.toFixed(3)} (${(p.cores * 100).toFixed(0)}%)`);
    process.stdout.write(`  ${r.label.padEnd(30)} ${cells.join(" | ")}\n`);
  }
}

function newAuditSigningKey() {
  return generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
}

async function main() {
  const cpus = os.cpus();
  const port = await freePort(Number(args.port));
  const ports = [port];
  for (let i = 1; i < INSTANCES; i++) ports.push(await freePort(Math.max(...ports) + 1));
  // Behind haproxy, the public URL is the proxy's; otherwise the first instance's (as a load balancer would be).
  const frontPort = args.haproxy ? await freePort(Math.max(...ports) + 1) : port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    TRUST_PROXY_HOPS: "1",
    PORT: String(port),
    LOG_LEVEL: "warn",
    DATABASE_URL,
    REDIS_URL,
    GATEHOUSE_PUBLIC_URL: `http://localhost:${frontPort}`,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    GATEHOUSE_MASTER_KEYS: `bench:${randomBytes(32).toString("base64")}`,
    GATEHOUSE_AUDIT_SIGNING_KEY: newAuditSigningKey(),
    // The per-token budget must never be what is measured.
    RATE_LIMIT_TOKEN_PER_MINUTE: "1000000000",
  };

  if (!args["skip-build"]) build();

  say(`fresh database ${new URL(DATABASE_URL).pathname.slice(1)}, redis ${REDIS_URL}`);
  await recreateTestDatabase(DATABASE_URL);
  // The seeding below goes through the same library code as the server, with the same environment.
  Object.assign(process.env, env);
  const { redis } = await import("../lib/redis/client");
  await redis.flushdb();

  say(`next start on port${ports.length > 1 ? "s" : ""} ${ports.join(", ")}${args.haproxy ? `, haproxy on ${frontPort}` : ""}`);
  // Same build, AUTH_SECRET, keys, database and Redis: only the port differs.
  const servers = ports.map((p) => startServer({ ...env, PORT: String(p) }, p));
  const server = servers[0]!;
  const haproxy = args.haproxy ? startHaproxy(frontPort, ports) : null;
  let stopping = false;
  for (const child of [...servers, ...(haproxy ? [haproxy] : [])]) {
    child.once("exit", (code, signal) => {
      if (!stopping) {
        process.stderr.write(`bench: ${child === haproxy ? "haproxy" : "next start"} exited early (${signal ?? code})\n`);
        // The others would outlive this process (and keep the ports) otherwise.
        for (const other of [...servers, ...(haproxy ? [haproxy] : [])]) if (other.exitCode === null && other.signalCode === null) other.kill("SIGKILL");
        process.exit(1);
      }
    });
  }
  const stop = async () => {
    stopping = true;
    await Promise.all([...servers, ...(haproxy ? [haproxy] : [])].map(stopServer));
    const { closeLazyClients } = await import("../lib/lazy");
    await closeLazyClients();
  };
  process.on("SIGINT", () => void stop().then(() => process.exit(130)));

  try {
    for (const p of ports) await waitForHttp(`http://127.0.0.1:${p}/api/ready`, 60_000);
    if (haproxy) await waitForHttp(`http://127.0.0.1:${frontPort}/api/ready`, 10_000);

    // Seed through the real code paths: library calls for the workspace, member, secrets and service token;
    // the orchestrator API for the job.
    const { createWorkspace } = await import("../lib/workspaces/workspace");
    const { addMember } = await import("../lib/members/membership");
    const { putSecret } = await import("../lib/secrets/store");
    const { issueServiceToken } = await import("../lib/tokens/registry");
    const actor = { type: "system", id: "bench" } as const;
    const telegramId = () => String(randomInt(1_000_000_000, 281_474_976_710_655));
    const { workspaceId } = await createWorkspace({
      name: `bench-${randomBytes(4).toString("hex")}`,
      owner: { platform: "telegram", externalId: telegramId() },
      ownerName: "Bench Owner",
      actor,
    });
    const memberTelegramId = telegramId();
    const { userId } = await addMember({
      workspaceId,
      identity: { platform: "telegram", externalId: memberTelegramId },
      displayName: "Bench Member",
      role: "member",
      actor,
    });
    const grants: { secret: string; envVar: string }[] = [];
    const values = new Map<string, string>();
    for (let i = 1; i <= GRANTS; i++) {
      const name = `BENCH_SECRET_${i}`;
      const value = `bench-${i}-${randomBytes(24).toString("base64url")}`;
      await putSecret({ workspaceId, userId, name, value, actor: { type: "user", id: userId } });
      grants.push({ secret: name, envVar: `BENCH_VAR_${i}` });
      values.set(`BENCH_VAR_${i}`, value);
    }
    const service = await issueServiceToken({ workspaceId, name: "bench", actor });
    const created = await fetch(`${baseUrl}/api/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${service.token}`, "content-type": "application/json" },
      body: JSON.stringify({ user: { platform: "telegram", id: memberTelegramId }, grants, ttlSeconds: 3600 }),
    });
    if (created.status !== 201) throw new Error(`POST /api/v1/jobs answered ${created.status}: ${await created.text()}`);
    const job = (await created.json()) as { jobId: string; token: string };

    const healthUrl = `${baseUrl}/api/health`;
    const credentialsUrl = `${baseUrl}/api/v1/worker/jobs/${job.jobId}/credentials`;
    const auth = { authorization: `Bearer ${job.token}` };

    // One checked call: the endpoint serves exactly what was granted before we time anything.
    const first = await fetch(credentialsUrl, { headers: auth });
    const expected = grants.map((g) => ({ env_var: g.envVar, value: values.get(g.envVar) })).sort((a, b) => a.env_var.localeCompare(b.env_var));
    const got = first.status === 204 ? [] : ((await first.json()) as { env_var: string; value: string }[]);
    if ((GRANTS > 0 ? first.status !== 200 : first.status !== 204) || JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`the credentials endpoint answered ${first.status} with something other than the ${GRANTS} granted secrets`);
    }
    let served = 1;

    if (args.flood) {
      await floodReport({ baseUrl, healthUrl, credentialsUrl, auth, server });
      return;
    }

    // One run per instance at once, --connections split over them; or one run through haproxy.
    const origins = args.haproxy || INSTANCES === 1 ? [`http://127.0.0.1:${frontPort}`] : ports.map((p) => `http://127.0.0.1:${p}`);
    type Opts = Parameters<typeof load>[1];
    const loadAll = async (label: string, opts: Opts): Promise<{ total: LoadResult; each: LoadResult[] }> => {
      if (origins.length === 1) {
        const total = await load(label, { ...opts, url: opts.url.replace(baseUrl, origins[0]!) });
        return { total, each: [total] };
      }
      const each = await Promise.all(
        origins.map((origin, i) => {
          const connections = Math.floor(opts.connections / origins.length) + (i < opts.connections % origins.length ? 1 : 0);
          return load(`  instance ${i + 1} (:${ports[i]})`, { ...opts, connections, url: opts.url.replace(baseUrl, origin) });
        }),
      );
      return { total: combine(label, each), each };
    };

    say(`warm-up ${WARMUP} s per route`);
    if (WARMUP > 0) {
      await loadAll("warm-up trivial", { url: healthUrl, connections: CONNECTIONS, duration: WARMUP });
      const { total: w } = await loadAll("warm-up credentials", { url: credentialsUrl, connections: CONNECTIONS, duration: WARMUP, headers: auth });
      served += w.statuses["200"] ?? 0;
      if (w.non2xx || w.errors) throw new Error(`warm-up: credentials answered ${JSON.stringify(w.statuses)}, ${w.errors} errors`);
    }

    type Measured = LoadResult & { cpu: ReturnType<typeof cpuPerRequest>; each: (LoadResult & { cpuMs: number | null })[] };
    // With --cpu-prof, phases.json gives each run's window on the profile's clock (monotonic, µs).
    const phases: { label: string; startUs: number; endUs: number }[] = [];
    const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
    const pids = servers.map((s) => s.pid);
    const measure = async (label: string, opts: Opts): Promise<Measured> => {
      const before = cpuSnapshot(pids);
      const startUs = monotonicUs();
      const { total, each } = await loadAll(label, opts);
      phases.push({ label, startUs, endUs: monotonicUs() });
      if (args["cpu-prof"]) writeFileSync(path.join(path.resolve(args["cpu-prof"]), "phases.json"), JSON.stringify(phases, null, 2));
      const after = cpuSnapshot(pids);
      // Behind haproxy the split is haproxy's, so only the sum is per request.
      const perInstance = origins.length > 1 ? each.map((r, i) => ({ ...r, cpuMs: before && after && r.requests ? (after.servers[i]! - before.servers[i]!) / r.requests : null })) : [];
      return { ...total, cpu: cpuPerRequest(before, after, total.requests), each: perInstance };
    };
    const results: { trivial: Measured; credentials: Measured }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      say(`round ${round}/${ROUNDS}: ${CONNECTIONS} connections, ${DURATION} s per route`);
      const trivial = await measure("GET /api/health (trivial)", { url: healthUrl, connections: CONNECTIONS, duration: DURATION });
      const credentials = await measure(`GET …/credentials (${GRANTS} grants)`, { url: credentialsUrl, connections: CONNECTIONS, duration: DURATION, headers: auth });
      served += credentials.statuses["200"] ?? 0;
      results.push({ trivial, credentials });
      if (trivial.non2xx || trivial.errors || trivial.timeouts) {
        throw new Error(`the trivial route failed: ${JSON.stringify(trivial.statuses)}, ${trivial.errors} errors, ${trivial.timeouts} timeouts`);
      }
      if (credentials.non2xx || credentials.errors || credentials.timeouts || !credentials.requests) {
        throw new Error(
          `credentials responses were not all 200: ${JSON.stringify(credentials.statuses)}, ${credentials.errors} errors, ${credentials.timeouts} timeouts`,
        );
      }
    }

    const diagnostics: Measured[] = [];
    if (args.diagnose) {
      say("diagnostic runs (non-2xx answers expected)");
      const malformed = { authorization: `Bearer gh_job_${"!".repeat(43)}` };
      const badJobUrl = `${baseUrl}/api/v1/worker/jobs/not-a-uuid/credentials`;
      diagnostics.push(await measure("health + Authorization header", { url: healthUrl, connections: CONNECTIONS, duration: DURATION, headers: auth }));
      diagnostics.push(await measure("credentials, malformed token", { url: credentialsUrl, connections: CONNECTIONS, duration: DURATION, headers: malformed }));
      diagnostics.push(await measure("credentials, bad job id", { url: badJobUrl, connections: CONNECTIONS, duration: DURATION, headers: auth }));
    }

    // Every 200 must have its audit row, in a chain that still verifies.
    const { db } = await import("../lib/db/client");
    const { verifyAuditChain } = await import("../lib/audit");
    const auditRows = await db.auditEvent.count({ where: { workspaceId, action: "credentials.served" } });
    const chain = await verifyAuditChain({ workspaceId });

    process.stdout.write(
      `\nmachine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? "unknown"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `node ${process.version}, ${os.platform()} ${os.release()}; postgres, redis, next start and autocannon share it\n` +
        `load: ${CONNECTIONS} connections, ${DURATION} s per route, ${ROUNDS} round(s), ${WARMUP} s warm-up per route; job with ${GRANTS} grants\n` +
        (INSTANCES > 1
          ? `instances: ${INSTANCES} next start (ports ${ports.join(", ")}), ` +
            (args.haproxy ? `behind haproxy on ${frontPort} (round robin; its CPU is in 'other processes')\n` : `the connections split over them, one autocannon run each at once\n`)
          : ""),
    );
    for (const [i, r] of results.entries()) {
      if (ROUNDS > 1) process.stdout.write(`\nround ${i + 1}`);
      table(withInstances([r.trivial, r.credentials]), r.credentials.reqPerSec / r.trivial.reqPerSec);
      cpuTable([r.trivial, r.credentials]);
      instanceCpu([r.trivial, r.credentials]);
    }
    if (diagnostics.length) {
      process.stdout.write(
        "\ndiagnostics: the same server, each layer of the credentials request on its own. 'malformed token' is the\n" +
          "dynamic route and wrapper answering 401 before any I/O; 'bad job id' adds the Redis rate limit (401 before the\n" +
          "database). The difference to the full request is the database read, decryption and the audit group commit.\n",
      );
      table(withInstances(diagnostics), NaN);
      cpuTable(diagnostics);
      instanceCpu(diagnostics);
    }
    const worst = results.reduce((a, r) => (r.credentials.reqPerSec / r.trivial.reqPerSec < a.credentials.reqPerSec / a.trivial.reqPerSec ? r : a));
    const ratio = worst.credentials.reqPerSec / worst.trivial.reqPerSec;
    const p99 = Math.max(...results.map((r) => r.credentials.p99));
    process.stdout.write(
      `\naudit: ${auditRows} credentials.served rows for ${served} responses with 200 counted by the client ` +
        `(requests still in flight when a run stops are served but not counted); chain ${chain.ok ? `verifies (${chain.events} events)` : `BROKEN at seq ${chain.brokenAt}`}\n`,
    );
    process.stdout.write(
      `targets: ratio ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? "met" : "MISSED"} (${ratio.toFixed(3)}); ` +
        `credentials p99 ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? "met" : "MISSED"} (${ms(p99)} ms)\n`,
    );
    if (!chain.ok || auditRows < served) throw new Error("a served response has no audit row, or the audit chain does not verify");
    if (args.check && (ratio < TARGET_RATIO || p99 > TARGET_P99_MS)) process.exitCode = 1;
  } finally {
    await stop();
    for (const child of [...servers, ...(haproxy ? [haproxy] : [])]) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

const FLOOD_CONNECTIONS = Number(args["flood-connections"]);
const VICTIM_ADDRESS = "198.51.100.10";

type FloodOptions = { kind: "trivial" | "random" | "tokens"; xff: "fixed" | "random"; url: string; tokens?: { token: string; jobId: string }[] };
type FloodResult = { requests: number; statuses: Record<string, number>; errors: number; timeouts: number };

/** The flood runs in its own process for the measured window plus a second either side. */
function startFlood(opts: FloodOptions): Promise<FloodResult> {
  const child = spawn(process.execPath, [path.join("scripts", "lib", "bench-flood.mjs"), JSON.stringify({ ...opts, connections: FLOOD_CONNECTIONS, duration: DURATION + 2 })], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`the flood process exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as FloodResult);
    });
  });
}

async function floodReport({ baseUrl, healthUrl, credentialsUrl, auth, server }: { baseUrl: string; healthUrl: string; credentialsUrl: string; auth: Record<string, string>; server: ChildProcess }) {
  // A third workspace's revoked job tokens: they have their workspace's lane, so they compete only with it.
  const { createWorkspace } = await import("../lib/workspaces/workspace");
  const { addMember } = await import("../lib/members/membership");
  const { issueServiceToken } = await import("../lib/tokens/registry");
  const { createJob } = await import("../lib/jobs/create");
  const { completeJob } = await import("../lib/jobs/lifecycle");
  const actor = { type: "system", id: "bench" } as const;
  const other = await createWorkspace({ name: `bench-flood-${randomBytes(4).toString("hex")}`, owner: { platform: "telegram", externalId: String(randomInt(1e9, 2e9)) }, ownerName: "Flood Owner", actor });
  const floodMember = String(randomInt(2e9, 3e9));
  await addMember({ workspaceId: other.workspaceId, identity: { platform: "telegram", externalId: floodMember }, displayName: "Flood Member", role: "member", actor });
  const service = await issueServiceToken({ workspaceId: other.workspaceId, name: "flood", actor });
  const revoked: { token: string; jobId: string }[] = [];
  for (let i = 0; i < 100; i++) {
    const job = await createJob({ workspaceId: other.workspaceId, serviceTokenId: service.tokenId, user: { platform: "telegram", externalId: floodMember } });
    await completeJob({ workspaceId: other.workspaceId, jobId: job.jobId, serviceTokenId: service.tokenId });
    revoked.push({ token: job.token, jobId: job.jobId });
  }

  // The victim's connections are open before the flood starts (as a worker's keep-alive connections would be), and
  // only its requests sent while the flood is at full strength are counted (it runs on long enough for the last of
  // those to be answered).
  const victim = { url: credentialsUrl, connections: CONNECTIONS, duration: DURATION + 8, headers: { ...auth, "x-forwarded-for": VICTIM_ADDRESS } };
  const floods: { label: string; flood?: FloodOptions }[] = [
    { label: "no flood" },
    { label: "trivial route (framework limit)", flood: { kind: "trivial", xff: "fixed", url: healthUrl } },
    { label: "random tokens, one address", flood: { kind: "random", xff: "fixed", url: baseUrl } },
    { label: "random tokens, new address each", flood: { kind: "random", xff: "random", url: baseUrl } },
    { label: "revoked tokens of a 3rd workspace", flood: { kind: "tokens", xff: "random", url: baseUrl, tokens: revoked } },
    { label: "no flood, afterwards" },
  ];
  type Row = { label: string; reads: LoadResult; flood?: FloodResult };
  const rows: Row[] = [];
  for (const { label, flood } of floods) {
    if (server.exitCode !== null) throw new Error("next start exited during the flood");
    say(`victim reads, ${CONNECTIONS} connections, ${DURATION} s: ${label}${flood ? ` (${FLOOD_CONNECTIONS} flood connections)` : ""}`);
    // Let the previous flood's connections drain and the per-minute budgets of its address matter, not its backlog.
    await new Promise((r) => setTimeout(r, 2000));
    let window = { from: Infinity, until: -Infinity };
    const reading = load(label, victim, () => window);
    await new Promise((r) => setTimeout(r, 1000));
    const floodDone = flood ? startFlood(flood) : undefined;
    // The flood process needs about a second to start and open its connections.
    window = { from: Date.now() + 1500, until: Date.now() + 1500 + DURATION * 1000 };
    const reads = await reading;
    rows.push({ label, reads, flood: floodDone ? await floodDone : undefined });
  }

  const fmt = (st: Record<string, number>) => Object.entries(st).map(([c, n]) => `${c}×${n}`).join(" ");
  process.stdout.write(`\nvictim: another workspace's credential reads (${CONNECTIONS} connections, ${DURATION} s) beside each flood\n`);
  const header = ["flood", "reads", "p50 ms", "p99 ms", "max ms", "read statuses", "flood requests", "flood statuses"];
  const body = rows.map((r) => [
    r.label,
    String(r.reads.requests),
    ms(r.reads.p50),
    ms(r.reads.p99),
    ms(r.reads.max),
    fmt(r.reads.statuses) + (r.reads.errors ? ` errors×${r.reads.errors}` : "") + (r.reads.timeouts ? ` timeouts×${r.reads.timeouts}` : ""),
    r.flood ? String(r.flood.requests) : "-",
    r.flood ? fmt(r.flood.statuses) + (r.flood.errors ? ` errors×${r.flood.errors}` : "") + (r.flood.timeouts ? ` timeouts×${r.flood.timeouts}` : "") : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 5 || i === 7 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  process.stdout.write(`${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n${body.map(line).join("\n")}\n`);

  const trivial = rows[1]!.reads.p99;
  const failed = rows.filter((r) => r.reads.non2xx || r.reads.errors || r.reads.timeouts || !r.reads.requests);
  const worse = rows.slice(2, 5).filter((r) => r.reads.p99 > trivial);
  process.stdout.write(
    `\ntargets: every victim read 200: ${failed.length ? `MISSED (${failed.map((r) => r.label).join(", ")})` : "met"}; ` +
      `p99 under each token flood ≤ under the trivial flood (${ms(trivial)} ms): ${worse.length ? `MISSED (${worse.map((r) => `${r.label} ${ms(r.reads.p99)} ms`).join(", ")})` : "met"}\n`,
  );
  if (args.check && (failed.length || worse.length)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
