// Runs once when a server instance starts: route console output through the redacting logger, then validate
// configuration before serving anything.
import type { Instrumentation } from "next";

export async function register() {
  // Next inlines this exact expression per runtime, which keeps the Node-only checks out of the Edge bundle;
  // a helper from lib/config would not be inlined.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Next prints a route's uncaught error raw (a Prisma error with its arguments) with console.error.
  const { routeConsoleThroughLog } = await import("./lib/log");
  routeConsoleThroughLog();
  const { runStartupChecks } = await import("./lib/flows/startup-checks");
  await runStartupChecks();
  // Signs each workspace's head at least hourly while it has new events (SPEC §8); a no-op without a signing key.
  const { startCheckpointSweeps } = await import("./lib/audit/checkpoint-sweep");
  startCheckpointSweeps();
}

// The route template only: the request path may carry a link id (`/settings?s=…`).
export const onRequestError: Instrumentation.onRequestError = async (err, request, context) => {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { log } = await import("./lib/log");
  log.error({ err, method: request.method, route: context.routePath, routeType: context.routeType }, "request failed");
};
