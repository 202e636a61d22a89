import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, MIGRATIONS_DIR, readMigrations } from "./lib/migrate";

const base = new URL(process.env.DATABASE_URL!);
const created: string[] = [];

function freshDatabaseUrl() {
  const name = `gatehouse_migrate_${randomBytes(6).toString("hex")}`;
  created.push(name);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

async function query(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const admin = new URL(base);
  admin.pathname = "/postgres";
  for (const name of created) await query(admin.toString(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe("db:migrate", () => {
  it("creates a missing database, applies everything, then applies nothing on a second run", async () => {
    const url = freshDatabaseUrl();
    const all = (await readMigrations()).map((m) => m.name);
    const first = await migrate({ databaseUrl: url });
    expect(first).toMatchObject({ created: true, applied: all, alreadyApplied: 0 });
    const tables = await query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.map((t) => t.tablename)).toEqual(
      expect.arrayContaining(["workspaces", "users", "platform_identities", "oauth_bindings", "memberships", "audit_events"]),
    );
    const second = await migrate({ databaseUrl: url });
    expect(second).toMatchObject({ created: false, applied: [], alreadyApplied: all.length });
    const recorded = await query(url, "SELECT name, checksum FROM _gatehouse_migrations ORDER BY name");
    expect(recorded.map((r) => r.name)).toEqual(all);
    expect(recorded.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
  });

  it("refuses to run when an applied migration was edited, and changes nothing", async () => {
    const url = freshDatabaseUrl();
    const dir = await mkdtemp(path.join(tmpdir(), "gh-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await migrate({ databaseUrl: url, dir });
      const [first] = await readMigrations(dir);
      await writeFile(path.join(dir, first!.name, "migration.sql"), `${first!.sql}\n-- edited\n`);
      await mkdirMigration(dir, "99990101000000_later", "CREATE TABLE should_not_exist (id int);");
      await expect(migrate({ databaseUrl: url, dir })).rejects.toThrow(/was edited after it was applied/);
      const rows = await query(url, "SELECT to_regclass('public.should_not_exist') AS t");
      expect(rows[0].t).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rolls back a failing migration as a whole and records nothing for it", async () => {
    const url = freshDatabaseUrl();
    const dir = await mkdtemp(path.join(tmpdir(), "gh-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await mkdirMigration(dir, "99990101000000_broken", "CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;");
      await expect(migrate({ databaseUrl: url, dir })).rejects.toThrow(/99990101000000_broken failed and was rolled back/);
      const rows = await query(url, "SELECT to_regclass('public.half_done') AS t, (SELECT count(*) FROM _gatehouse_migrations WHERE name LIKE '9999%') AS n");
      expect(rows[0]).toEqual({ t: null, n: "0" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a migration with its own transaction control before applying anything", async () => {
    const url = freshDatabaseUrl();
    const dir = await mkdtemp(path.join(tmpdir(), "gh-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await mkdirMigration(dir, "99990101000000_commits", "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);");
      await expect(migrate({ databaseUrl: url, dir })).rejects.toThrow(/contains transaction control/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("applies each migration exactly once when two processes migrate at the same time", async () => {
    const url = freshDatabaseUrl();
    const all = (await readMigrations()).map((m) => m.name);
    const results = await Promise.all([migrateInChild(url), migrateInChild(url), migrate({ databaseUrl: url })]);
    const appliedCounts = new Map<string, number>();
    for (const r of results) for (const name of r.applied) appliedCounts.set(name, (appliedCounts.get(name) ?? 0) + 1);
    expect([...appliedCounts.keys()].sort()).toEqual(all);
    expect([...appliedCounts.values()].every((n) => n === 1)).toBe(true);
    const recorded = await query(url, "SELECT count(*)::int AS n FROM _gatehouse_migrations");
    expect(recorded[0].n).toBe(all.length);
  });
});

async function mkdirMigration(dir: string, name: string, sql: string) {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(path.join(dir, name));
  await writeFile(path.join(dir, name, "migration.sql"), sql);
}

/** Runs the real `npm run db:migrate` entry point in a separate process and parses what it applied. */
async function migrateInChild(databaseUrl: string): Promise<{ applied: string[] }> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["tsx", "scripts/migrate.ts"], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`migrate exited ${code}: ${err}`));
      const match = /applied \d+ migration\(s\) to \S+: (.*)$/m.exec(out);
      resolve({ applied: match ? match[1]!.split(", ") : [] });
    });
  });
}
