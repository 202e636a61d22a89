import { defineConfig } from "@playwright/test";
import { E2E_BASE_URL, E2E_ENV, E2E_PLAIN_BASE_URL, E2E_PLAIN_ENV, E2E_PLAIN_PORT } from "./e2e/helpers/env";

const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  timeout: 30_000,
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
  },
  projects: [
    { name: "api", testMatch: /.*\.api\.spec\.ts$/, testIgnore: /e2e\/api\/fuzz\// },
    {
      name: "ui",
      testMatch: /.*\.ui\.spec\.ts$/,
      // A journey of a dozen browser steps takes ~15 s alone and up to ~28 s beside the other worker on 2 cores.
      timeout: 60_000,
      use: {
        browserName: "chromium",
        launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: chromiumArgs },
      },
    },
    {
      // ~10,000 requests keep the server's 2 cores busy for a minute or two; run alone, after every other test, so
      // no other spec's timeout competes with it.
      name: "fuzz",
      testMatch: /e2e\/api\/fuzz\/.*\.api\.spec\.ts$/,
      dependencies: ["api", "ui"],
    },
  ],
  webServer: [
    {
      // Recreates the e2e database, starts the dev OIDC provider and `next start` with an identity provider.
      command: "npx tsx --conditions=react-server scripts/e2e-server.ts",
      url: `${E2E_BASE_URL}/api/ready`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: E2E_ENV,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `npx next start -p ${E2E_PLAIN_PORT}`,
      url: `${E2E_PLAIN_BASE_URL}/api/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      env: E2E_PLAIN_ENV,
      stdout: "pipe",
      stderr: "pipe",
    },
  ],
});
