// Starts the scale-out topology (scripts/scale-harness.ts) for `npm run test:scale` and ends it after the run. The
// harness is a child process that tears everything down on SIGTERM/SIGINT or when this process goes away (its
// stdin closes), so a crashed or interrupted run leaves nothing behind. Its topology reaches the test workers through
// process.env (SCALE_TOPOLOGY, and the E2E_* variables e2e/helpers/env.ts reads).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { SCALE_READY_PREFIX, buildPresent, type ScaleTopology } from "../../scripts/lib/scale-topology";

const START_TIMEOUT_MS = 120_000;

export default async function globalSetup() {
  if (!buildPresent()) {
    throw new Error(
      "npm run test:scale: no production build in .next (no .next/BUILD_ID). It reuses the build `npm run test:e2e` makes; " +
        "run `npx next build && node scripts/cli.mjs --build` (or `npm run test:e2e`) first.",
    );
  }
  // One set of run secrets for the harness's instances and the workers' CLI (e2e/helpers/env.ts derives them from it).
  process.env.GATEHOUSE_E2E_SECRETS ||= randomBytes(32).toString("base64");
  const harness = spawn(path.join(process.cwd(), "node_modules", ".bin", "tsx"), ["scripts/scale-harness.ts"], {
    env: process.env,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number>((resolve) => harness.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));

  const topology = await new Promise<ScaleTopology>((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => reject(new Error(`scale harness: not ready within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    harness.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const line = buffered.split("\n").find((l) => l.startsWith(SCALE_READY_PREFIX));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line.slice(SCALE_READY_PREFIX.length)) as ScaleTopology);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`scale harness exited (${code}) before it was ready; see its output above`));
    });
  }).catch(async (err: unknown) => {
    harness.kill("SIGTERM");
    await exited;
    throw err;
  });

  Object.assign(process.env, topology.env, { SCALE_TOPOLOGY: JSON.stringify(topology) });

  return async () => {
    harness.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
  };
}
