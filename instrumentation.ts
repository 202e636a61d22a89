// Runs once when a server instance starts: validate configuration before serving anything.
export async function register() {
  // Next inlines this exact expression per runtime, which keeps the Node-only checks out of the Edge bundle;
  // a helper from lib/config would not be inlined.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { runStartupChecks } = await import("./lib/flows/startup-checks");
  await runStartupChecks();
}
