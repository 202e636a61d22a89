import { isNodeRuntime } from "./lib/config";

// Runs once when a server instance starts: validate configuration before serving anything.
export async function register() {
  if (!isNodeRuntime()) return;
  const { runStartupChecks } = await import("./lib/flows/startup-checks");
  await runStartupChecks();
}
