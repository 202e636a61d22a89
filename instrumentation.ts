// Runs once when a server instance starts: validate configuration before serving anything.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { runStartupChecks } = await import("./lib/flows/startup-checks");
  await runStartupChecks();
}
