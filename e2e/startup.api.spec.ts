// Start-up validation of the real production server: a bad environment stops `next start` with a message
// naming each variable, before anything is served.
import { spawn } from "node:child_process";
import { expect, test } from "@playwright/test";
import { E2E_ENV } from "./env";

function startWith(env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn("npx", ["next", "start", "-p", "3197"], { env: { ...process.env, ...E2E_ENV, ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("production refuses to start without AUTH_SECRET and GATEHOUSE_MASTER_KEYS, and names bad values", async () => {
  const { code, output } = await startWith({ AUTH_SECRET: "", GATEHOUSE_MASTER_KEYS: "", REDIS_URL: "http://nope" });
  expect(code).toBe(1);
  expect(output).toContain("AUTH_SECRET: is required in production");
  expect(output).toContain("GATEHOUSE_MASTER_KEYS: is required in production");
  expect(output).toContain("REDIS_URL: must be a URL");
});
