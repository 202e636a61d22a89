import "server-only";
import { ConfigError, getConfig } from "./config";
import { log } from "./log";

/** Configuration is validated once at start-up; a bad value stops the process with a message naming it. */
export async function runStartupChecks() {
  try {
    const config = getConfig();
    log.info({ env: config.env, publicUrl: config.publicUrl, identityProvider: config.settingsOAuth ? "configured" : "none" }, "gatehouse starting");
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
