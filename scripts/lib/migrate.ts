// Applies prisma/migrations/<ts>_<name>/migration.sql in order, each in its own transaction, recording
// name and checksum. Prisma's own `migrate deploy` needs a native engine this project cannot download.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

export const MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");
// Any fixed 64-bit number; it only has to be the same for every process that migrates this database.
const MIGRATE_LOCK_KEY = 7_331_900_211n;

export type MigrateResult = { database: string; created: boolean; applied: string[]; alreadyApplied: number };

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

type Migration = { name: string; sql: string; checksum: string };

// Each migration runs inside our transaction; its own BEGIN/COMMIT would commit half of it unrecorded.
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|END|START\s+TRANSACTION|SAVEPOINT|RELEASE|ABORT)\b/im;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      if (TRANSACTION_CONTROL.test(sql.replace(/\$\$[\s\S]*?\$\$/g, "").replace(/--.*$/gm, ""))) {
        throw new MigrationError(`migration ${name} contains transaction control (BEGIN/COMMIT/…); the runner wraps each migration in a transaction`);
      }
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

function quoteIdent(name: string) {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Creates the database named in the URL if it does not exist; safe when several processes race. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!name) throw new MigrationError("DATABASE_URL names no database");
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database, 23505 unique_violation: another process created it first.
      const code = (err as { code?: string }).code;
      if (code === "42P04" || code === "23505") return false;
      throw err;
    }
  } finally {
    await admin.end();
  }
}

export async function migrate({
  databaseUrl,
  dir = MIGRATIONS_DIR,
}: {
  databaseUrl: string;
  dir?: string;
}): Promise<MigrateResult> {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ""));
  const created = await ensureDatabase(databaseUrl);
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  // Each step is one transaction holding a transaction-level lock, never a session-level one: through pgbouncer's
  // transaction pooling (SPEC §14) a session lock would stay behind on whichever server connection took it. A
  // second migrator waits for the lock, then finds the work done. No statement timeout for migrations.
  const locked = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query("BEGIN");
    try {
      await client.query("SET LOCAL statement_timeout = 0");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK_KEY.toString()]);
      const result = await fn();
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  };
  try {
    const applied = await locked(async () => {
      await client.query(`CREATE TABLE IF NOT EXISTS _gatehouse_migrations (
        name text PRIMARY KEY,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ name: string; checksum: string }>(
        "SELECT name, checksum FROM _gatehouse_migrations ORDER BY name",
      );
      return new Map(rows.map((r) => [r.name, r.checksum]));
    });
    const onDisk = new Set(migrations.map((m) => m.name));
    for (const [name] of applied) {
      if (!onDisk.has(name)) {
        throw new MigrationError(`migration ${name} is applied to ${database} but missing from ${dir}; refusing to continue`);
      }
    }
    for (const m of migrations) {
      const recorded = applied.get(m.name);
      if (recorded !== undefined && recorded !== m.checksum) {
        throw new MigrationError(
          `migration ${m.name} was edited after it was applied (checksum ${recorded.slice(0, 12)}… in the database, ` +
            `${m.checksum.slice(0, 12)}… on disk); add a new migration instead of editing an applied one`,
        );
      }
    }
    const done: string[] = [];
    for (const m of migrations.filter((m) => !applied.has(m.name))) {
      try {
        const ran = await locked(async () => {
          // Another migrator may have applied it while this one waited for the lock.
          const { rows } = await client.query<{ checksum: string }>("SELECT checksum FROM _gatehouse_migrations WHERE name = $1", [m.name]);
          if (rows[0] && rows[0].checksum !== m.checksum) {
            throw new Error(`another migrator applied a different ${m.name} (checksum ${rows[0].checksum.slice(0, 12)}…) meanwhile`);
          }
          if (rows[0]) return false;
          await client.query(m.sql);
          await client.query("INSERT INTO _gatehouse_migrations (name, checksum) VALUES ($1, $2)", [m.name, m.checksum]);
          return true;
        });
        if (ran) done.push(m.name);
      } catch (err) {
        throw new MigrationError(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
    }
    return { database, created, applied: done, alreadyApplied: applied.size };
  } finally {
    await client.end();
  }
}

/** Drops and re-creates a throwaway test database, then migrates it: tests never depend on leftovers. */
export async function recreateTestDatabase(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  assertDisposableDatabase(name);
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  return migrate({ databaseUrl });
}

/** Only throwaway test databases may be dropped, whatever the environment says. */
function assertDisposableDatabase(name: string) {
  if (!/^gatehouse_[a-z0-9_]*(test|e2e)[a-z0-9_]*$/.test(name)) {
    throw new Error(`refusing to drop database "${name}": only gatehouse_*test*/gatehouse_*e2e* databases are disposable`);
  }
}
