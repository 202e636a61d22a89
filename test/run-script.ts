import { spawn } from "node:child_process";

type Run = { code: number; stdout: string; stderr: string };

function run(command: string, args: string[], env: Record<string, string | undefined>, stdin?: string) {
  return new Promise<Run>((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (stdin !== undefined) child.stdin!.end(stdin);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs a project script (as `npm run` would, through tsx) and collects its output. */
export function runScript(script: string, args: string[], env: Record<string, string | undefined> = {}) {
  return run("npx", ["tsx", "--conditions=react-server", script, ...args], env);
}

/** Runs the operator CLI as `npm run gatehouse` does: the bundled entry (scripts/cli.mjs), built if stale. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, stdin?: string) {
  return run(process.execPath, ["scripts/cli.mjs", ...args], env, stdin);
}
