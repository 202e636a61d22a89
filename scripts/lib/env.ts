import { existsSync } from "node:fs";
import path from "node:path";

/**
 * Loads .env.local like Next does; variables already in the environment win. Never in a test run: a developer's
 * `npm run dev` secrets (its master key above all) must not leak into the CLI processes the tests start.
 */
export function loadLocalEnv(file = path.join(process.cwd(), ".env.local")) {
  if (process.env.NODE_ENV === "test") return;
  if (existsSync(file)) process.loadEnvFile(file);
}
