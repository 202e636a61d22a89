// `npm run test:scale` (SPEC §14): the scale-out tests against two `next start` instances behind haproxy on a Redis
// Cluster and pgbouncer, and one on Redis Sentinel, all started by e2e/scale/global-setup.ts from the production
// build `npm run test:e2e` made (it does not build).
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "e2e/scale",
  testMatch: /.*\.scale\.spec\.ts$/,
  outputDir: "test-results/scale",
  globalSetup: "./e2e/scale/global-setup.ts",
  // The failover spec and the cluster spec run side by side; tests within a file run in order.
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  timeout: 90_000,
  expect: { timeout: 10_000 },
});
