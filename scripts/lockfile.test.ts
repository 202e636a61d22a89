// The quick start runs `npm install`: on a fresh clone it must leave package-lock.json exactly as committed (npm
// cannot record other platforms' optional packages from the registry here; scripts/complete-lockfile.mjs does).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";

it("npm install leaves the committed package-lock.json unchanged", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gatehouse-lock-"));
  try {
    for (const f of ["package.json", "package-lock.json"]) copyFileSync(f, path.join(dir, f));
    execFileSync("npm", ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, stdio: "pipe", timeout: 120_000 });
    const before = readFileSync("package-lock.json", "utf8");
    const after = readFileSync(path.join(dir, "package-lock.json"), "utf8");
    expect(after === before, "npm install rewrote package-lock.json: run `npm install && node scripts/complete-lockfile.mjs` and commit").toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 150_000);
