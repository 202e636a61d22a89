import { generateKeyPairSync } from "node:crypto";
import path from "node:path";
import { defineConfig } from "vitest/config";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/gatehouse_test";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/1";
// A fresh audit signing key per run, never one written down anywhere nor one from the shell; carried in the
// environment so every evaluation of this file in the run (global setup imports it too) agrees on it.
process.env.GATEHOUSE_TEST_RUN_AUDIT_KEY ||= generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
export const TEST_AUDIT_SIGNING_KEY = process.env.GATEHOUSE_TEST_RUN_AUDIT_KEY;

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
    include: ["lib/**/*.test.ts", "scripts/**/*.test.ts", "app/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // next-auth imports "next/server" without an extension, which Node's ESM resolver refuses; let Vite resolve it.
    server: { deps: { inline: ["next-auth"] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      GATEHOUSE_PUBLIC_URL: "http://localhost:3000",
      GATEHOUSE_AUDIT_SIGNING_KEY: TEST_AUDIT_SIGNING_KEY,
    },
  },
});
