// The topology `npm run test:scale` runs against (SPEC §14), started by the scale tests' global setup
// (e2e/scale/global-setup.ts) as a child process and ended by it:
//   - a fresh database (created and migrated directly on Postgres), reached by the app only through pgbouncer;
//   - a 3-node Redis Cluster; instances A and B (`next start` of the existing build) on it, haproxy round-robin
//     in front of both, and GATEHOUSE_PUBLIC_URL = the haproxy URL;
//   - a Redis master + 2 replicas + 3 Sentinels, and instance C on them (for the failover test; two replicas, so the
//     promoted master still has one to acknowledge writes, as lib/redis/replicated.ts needs);
//   - the in-repo Telegram fake and a real OAuth authorization server (test/fakes) for gateway and connections.
// When everything answers it prints one line `SCALE_READY <json>` on stdout. It tears everything down on SIGTERM,
// SIGINT, or when its stdin closes (the test runner that started it went away), and on a failed start.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as E2E from "../e2e/helpers/env";
import { recreateTestDatabase } from "./lib/migrate";
import {
  Processes,
  SCALE_READY_PREFIX,
  buildPresent,
  freePort,
  startHaproxy,
  startInstance,
  startPgbouncer,
  startRedisCluster,
  startRedisSentinel,
  type ScaleTopology,
} from "./lib/scale-topology";

export const SCALE_DATABASE = "gatehouse_scale_test";
const POSTGRES = "postgresql://postgres@127.0.0.1:5432";

const say = (line: string) => process.stderr.write(`scale harness: ${line}\n`);

async function main() {
  const started = Date.now();
  if (!buildPresent()) {
    throw new Error("no production build in .next (no .next/BUILD_ID). `npm run test:scale` reuses the build of `npm run test:e2e`; run `npx next build && node scripts/cli.mjs --build` first.");
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "gatehouse-scale-"));
  const logDir = path.join(tmp, "logs");
  mkdirSync(logDir);
  const procs = new Processes(logDir);
  // Kept after the run for diagnosis (git-ignored); the temp dir itself goes.
  const keptLogs = path.join(process.cwd(), "test-results", "scale-logs");

  let stopping: Promise<void> | undefined;
  const stop = (code: number) => {
    stopping ??= (async () => {
      await procs.stopAll();
      await Promise.allSettled(stoppers.map((s) => s()));
      try {
        rmSync(keptLogs, { recursive: true, force: true });
        cpSync(logDir, keptLogs, { recursive: true });
      } catch {
        // the logs are a convenience
      }
      rmSync(tmp, { recursive: true, force: true });
      process.exit(code);
    })();
    return stopping;
  };
  const stoppers: (() => Promise<void>)[] = [];
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGINT", () => void stop(130));
  process.stdin.on("end", () => void stop(0));
  process.stdin.on("close", () => void stop(0));
  process.stdin.resume();
  process.on("exit", () => procs.killAllNow());

  try {
    const haproxyPort = await freePort();
    const [aPort, bPort, cPort] = [await freePort(), await freePort(), await freePort()];
    const haproxyUrl = `http://localhost:${haproxyPort}`;

    const [telegramPort, connectAsPort] = [await freePort(), await freePort()];

    const directDatabaseUrl = `${POSTGRES}/${SCALE_DATABASE}`;
    const [, cluster, sentinel, pgbouncer] = await Promise.all([
      recreateTestDatabase(directDatabaseUrl),
      startRedisCluster(procs, tmp),
      startRedisSentinel(procs, tmp),
      startPgbouncer(procs, tmp, SCALE_DATABASE),
    ]);

    // e2e/helpers/env.ts reads these at import: the CLI, the seeding helpers and the instances all see this topology.
    const env: Record<string, string> = {
      E2E_PORT: String(haproxyPort),
      E2E_PLAIN_PORT: String(haproxyPort),
      E2E_DATABASE_URL: pgbouncer.databaseUrl,
      E2E_REDIS_CLUSTER_NODES: cluster.nodes,
      E2E_TELEGRAM_FAKE_PORT: String(telegramPort),
      E2E_CONNECT_AS_PORT: String(connectAsPort),
      E2E_SLACK_FAKE_PORT: String(await freePort()),
    };
    Object.assign(process.env, env);
    const e2eEnv = await import("../e2e/helpers/env");
    const { E2E_PLAIN_ENV } = e2eEnv;
    const fakes = await startFakes(e2eEnv, haproxyUrl);
    stoppers.push(fakes.stop);
    const clusterEnv = { ...E2E_PLAIN_ENV, LOG_LEVEL: "warn" };
    const sentinelEnv = {
      ...clusterEnv,
      REDIS_URL: "",
      REDIS_CLUSTER_NODES: "",
      REDIS_SENTINELS: sentinel.sentinels,
      REDIS_SENTINEL_NAME: sentinel.name,
      // The failover test sends many links per job.
      RATE_LIMIT_GATEWAY_PER_JOB: "100000",
    };
    const [a, b, c] = await Promise.all([
      startInstance(procs, "a", aPort, clusterEnv),
      startInstance(procs, "b", bPort, clusterEnv),
      startInstance(procs, "c", cPort, sentinelEnv),
    ]);
    const haproxy = await startHaproxy(procs, tmp, haproxyPort, [a, b]);

    const topology: ScaleTopology = {
      haproxyUrl: haproxy.url,
      a: a.url,
      b: b.url,
      c: c.url,
      cPid: c.pid,
      directDatabaseUrl,
      pgbouncerUrl: pgbouncer.databaseUrl,
      clusterNodes: cluster.nodes,
      sentinel,
      telegramFakeUrl: `http://127.0.0.1:${fakes.telegramPort}`,
      connectAsUrl: `http://127.0.0.1:${fakes.connectAsPort}`,
      logDir: keptLogs,
      env,
    };
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${logDir}, kept in ${keptLogs})`);
    process.stdout.write(`${SCALE_READY_PREFIX}${JSON.stringify(topology)}\n`);
  } catch (err) {
    say(`start failed: ${(err as Error).stack ?? String(err)}`);
    await stop(1);
  }
}

async function startFakes(e2e: typeof E2E, haproxyUrl: string) {
  const [{ startTelegramFake }, { startOAuthAS }] = await Promise.all([import("../test/fakes/telegram-api"), import("../test/fakes/oauth-as")]);
  const telegram = await startTelegramFake({ port: e2e.E2E_TELEGRAM_FAKE_PORT, botToken: e2e.E2E_TELEGRAM_BOT_TOKEN });
  // Access tokens live 10 minutes, so a fresh connection is not due for refresh until a test moves its expiry.
  const connectAs = await startOAuthAS({
    port: e2e.E2E_CONNECT_AS_PORT,
    clients: [{ client_id: e2e.E2E_CONNECT_CLIENT_ID, client_secret: e2e.E2E_CONNECT_CLIENT_SECRET, redirect_uris: [`${haproxyUrl}/settings/connections/callback`] }],
    accessTokenTtlSeconds: 600,
  });
  return {
    telegramPort: telegram.port,
    connectAsPort: connectAs.port,
    stop: async () => {
      await Promise.allSettled([telegram.stop(), connectAs.stop()]);
    },
  };
}

void main();
