import "server-only";
import { ConfigError, getConfig } from "../config";
import { isInfrastructureError } from "../errors";
import { log } from "../log";
import { checkAllMasterKeys } from "./master-keys";

function refuse(message: string): never {
  process.stderr.write(`gatehouse: ${message}\n`);
  process.exit(1);
}

// Wrong master keys stop the process: serving would deny every job and seal new secrets under a key the old ones
// do not share.
export async function runStartupChecks() {
  let config;
  try {
    config = getConfig();
  } catch (err) {
    if (err instanceof ConfigError) refuse(err.message);
    throw err;
  }
  log.info({ env: config.env, publicUrl: config.publicUrl, identityProvider: config.settingsOAuth ? "configured" : "none", auditSigning: config.audit.signingKey ? "configured" : "none" }, "gatehouse starting");

  // The database may still be starting (containers, restarts): wait for it rather than skip the check.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const problems = await checkAllMasterKeys();
      if (problems.length) {
        refuse(`GATEHOUSE_MASTER_KEYS does not match the stored secrets:\n${problems.map((p) => `  - ${p}`).join("\n")}\nConfigure the key(s) the secrets were encrypted with (add new keys in front; run \`gatehouse keys rotate\` to move everything to the first).`);
      }
      return;
    } catch (err) {
      if (!isInfrastructureError(err)) {
        log.error({ err }, "master key check failed");
        refuse("cannot check GATEHOUSE_MASTER_KEYS against the stored secrets (is the database migrated? run `npm run db:migrate`)");
      }
      if (Date.now() > deadline) refuse("cannot check GATEHOUSE_MASTER_KEYS against the stored secrets: the database is unreachable (DATABASE_URL)");
      log.warn("database unreachable at start-up; retrying the master key check");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
