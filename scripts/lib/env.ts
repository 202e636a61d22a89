import { existsSync } from "node:fs";
import path from "node:path";

/** Loads .env.local like Next does; variables already in the environment win. */
export function loadLocalEnv(file = path.join(process.cwd(), ".env.local")) {
  if (existsSync(file)) process.loadEnvFile(file);
}
