import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { defineConfig } from "vitest/config";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/gatehouse_test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/1";
// A fresh audit signing key per run, never one written down anywhere nor one from the shell; carried in the
// environment so every evaluation of this file in the run (global setup imports it too) agrees on it.
process.env.GATEHOUSE_TEST_RUN_AUDIT_KEY ||= generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
export const TEST_AUDIT_SIGNING_KEY = process.env.GATEHOUSE_TEST_RUN_AUDIT_KEY;

// SPEC §14: the suite runs on the scaled-out engines: a 3-node Redis Cluster and pgbouncer in transaction mode,
// started by test/global-setup.ts on these ports (chosen once per run and carried in the environment, like the
// key above). Only the tests that cut a dependency with a TCP proxy (and the scripts that drop databases) run
// against the one Redis node and Postgres directly: the "direct" project below.
process.env.GATEHOUSE_TEST_RUN_PORTS ||= (() => {
  // A Cluster node also listens on its port + 10000 (the cluster bus): keep both below 65536.
  const base = 20_000 + Math.floor(Math.random() * 3000) * 10;
  return [base, base + 1, base + 2, base + 3].join(",");
})();
export const TEST_PORTS = process.env.GATEHOUSE_TEST_RUN_PORTS.split(",").map(Number) as [number, number, number, number];
export const TEST_CLUSTER_NODES = TEST_PORTS.slice(0, 3).map((p) => `127.0.0.1:${p}`).join(",");
export const TEST_PGBOUNCER_PORT = TEST_PORTS[3];
const pooledDatabaseUrl = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.host = `127.0.0.1:${TEST_PGBOUNCER_PORT}`;
  return url.toString();
})();

/** Cut with a TCP proxy, or they create and drop databases (which a pooler in front would hold open). */
const DIRECT = [
  "lib/errors.test.ts",
  "lib/api/openapi.test.ts",
  "app/api/ready/route.test.ts",
  "app/api/v1/worker/jobs/*/credentials/route.test.ts",
  "scripts/migrate.test.ts",
  "scripts/keys.test.ts",
  "lib/redis/sentinel.test.ts",
];

const env = {
  NODE_ENV: "test" as const,
  LOG_LEVEL: "silent",
  GATEHOUSE_PUBLIC_URL: "http://localhost:3000",
  GATEHOUSE_AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
};

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(__dirname),
      // The marker only matters to the Next bundler; tests run lib/ directly on the server.
      "server-only": path.resolve(__dirname, "test/empty-module.ts"),
    },
  },
  test: {
    environment: "node",
    globalSetup: ["test/global-setup.ts"],
    // next-auth imports "next/server" without an extension, which Node's ESM resolver refuses; let Vite resolve it.
    server: { deps: { inline: ["next-auth"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "scaled",
          include: ["lib/**/*.test.ts", "scripts/**/*.test.ts", "app/**/*.test.ts", "test/**/*.test.ts"],
          exclude: DIRECT,
          env: { ...env, DATABASE_URL: pooledDatabaseUrl, REDIS_CLUSTER_NODES: TEST_CLUSTER_NODES, REDIS_URL: "" },
        },
      },
      { extends: true, test: { name: "direct", include: DIRECT, env: { ...env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL } } },
    ],
  },
});
