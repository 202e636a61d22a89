// npm run db:migrate — creates the database if missing and applies pending migrations.
import { ConfigError, databaseUrlFrom } from "../lib/config";
import { loadLocalEnv } from "./lib/env";
import { migrate, MigrationError } from "./lib/migrate";

async function main() {
  loadLocalEnv();
  const result = await migrate({ databaseUrl: databaseUrlFrom(process.env) });
  if (result.created) process.stdout.write(`created database ${result.database}\n`);
  process.stdout.write(
    result.applied.length
      ? `applied ${result.applied.length} migration(s) to ${result.database}: ${result.applied.join(", ")}\n`
      : `${result.database} is up to date (${result.alreadyApplied} migration(s) applied)\n`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError || err instanceof MigrationError ? err.message : `migration failed: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
