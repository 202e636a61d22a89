// Seeds e2e data through the real operator CLI, against the e2e server's database: one long-lived
// `gatehouse batch` process per Playwright worker (a worker thread owns it), so a fixture costs one command on
// open connections instead of a process start. `gatehouse()` blocks like a process call did (Atomics.wait on the
// thread's answer); `gatehouseAsync()` does not.
import { randomBytes, randomInt } from "node:crypto";
import { Worker } from "node:worker_threads";
import { E2E_ENV } from "./env";

// Plain CommonJS, evaluated in the worker thread.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { spawn } = require("node:child_process");
const child = spawn(process.execPath, ["scripts/cli.mjs", "batch"], { env: workerData.env, stdio: ["pipe", "pipe", "pipe"] });
const pending = [];
let buffered = "";
let stderr = "";
child.stdout.setEncoding("utf8").on("data", (d) => {
  buffered += d;
  for (let i; (i = buffered.indexOf("\\n")) >= 0; ) {
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    pending.shift()?.(line);
  }
});
child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-4000)));
let exited = null;
const gone = () => JSON.stringify({ exit: -1, output: { error: { code: "batch_exited", message: "gatehouse batch exited (" + exited + "): " + stderr } } });
child.on("exit", (code) => {
  exited = String(code);
  for (const answer of pending.splice(0)) answer(gone());
});
// Writing to a process that is gone: every caller is answered at exit, so the error itself can be dropped.
child.stdin.on("error", () => {});
parentPort.on("message", ({ id, args, shared }) => {
  const answer = (line) => {
    if (!shared) return parentPort.postMessage({ id, line });
    const bytes = Buffer.from(line, "utf8");
    const state = new Int32Array(shared, 0, 2);
    new Uint8Array(shared, 8).set(bytes.subarray(0, shared.byteLength - 8));
    Atomics.store(state, 1, bytes.length);
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
  };
  if (exited !== null) return answer(gone());
  pending.push(answer);
  child.stdin.write(JSON.stringify(args) + "\\n");
});
`;

type Answer = { exit: number; output: Record<string, unknown> };

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, (line: string) => void>();

function batchWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(WORKER, { eval: true, workerData: { env: { ...process.env, ...E2E_ENV } } });
  worker.unref();
  worker.on("message", ({ id, line }: { id: number; line: string }) => {
    waiting.get(id)?.(line);
    waiting.delete(id);
  });
  return worker;
}

function result<T>(args: string[], line: string): T {
  const { exit, output } = JSON.parse(line) as Answer;
  if (exit !== 0) throw new Error(`gatehouse ${args.join(" ")} failed (${exit}): ${JSON.stringify(output)}`);
  return output as T;
}

export function gatehouse<T = Record<string, unknown>>(...args: string[]): T {
  const shared = new SharedArrayBuffer(8 + (1 << 20));
  const state = new Int32Array(shared, 0, 2);
  batchWorker().postMessage({ args, shared });
  if (Atomics.wait(state, 0, 0, 120_000) === "timed-out") throw new Error(`gatehouse ${args.join(" ")}: no answer in 120 s`);
  const line = Buffer.from(new Uint8Array(shared, 8, Atomics.load(state, 1))).toString("utf8");
  return result<T>(args, line);
}

/** Like gatehouse() without blocking; commands still run one at a time, in the order they were sent. */
export function gatehouseAsync<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, (line) => {
      try {
        resolve(result<T>(args, line));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    batchWorker().postMessage({ id, args });
  });
}

export const randomTelegramId = () => String(randomInt(1_000_000_000, 281_474_976_710_655));
export const randomName = (prefix = "ws") => `${prefix}-${randomBytes(4).toString("hex")}`;

export function createWorkspace(ownerName = "E2E Owner") {
  const ownerTelegramId = randomTelegramId();
  const ws = gatehouse<{ workspaceId: string; ownerUserId: string }>(
    "workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerTelegramId, "--owner-name", ownerName,
  );
  return { ...ws, ownerTelegramId };
}
