// `npm run gatehouse`: runs the operator CLI from one esbuild bundle (.gatehouse/cli/gatehouse.mjs), rebuilt only
// when a source file is newer than it, so a call costs a node start instead of a TypeScript compile (SPEC §9:
// under 1 s). `node scripts/cli.mjs --build` only builds.
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, ".gatehouse/cli/gatehouse.mjs");
const INPUTS = ["lib", "scripts", "generated", "tsconfig.json", "package.json"];

function newestMtime(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

async function build() {
  const { build: esbuild } = await import("esbuild");
  mkdirSync(path.dirname(outfile), { recursive: true });
  const result = await esbuild({
    absWorkingDir: root,
    write: false,
    entryPoints: ["scripts/gatehouse.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
    // The marker only matters to the Next bundler (as in vitest.config.ts).
    plugins: [
      {
        name: "server-only",
        setup(b) {
          b.onResolve({ filter: /^server-only$/ }, () => ({ path: "server-only", namespace: "empty" }));
          b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "" }));
        },
      },
    ],
  });
  // Written aside and renamed: a concurrent call (parallel test workers) never imports a half-written file.
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(tmp, result.outputFiles[0].contents);
  renameSync(tmp, outfile);
}

const built = statSync(outfile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built < Math.max(...INPUTS.map((p) => newestMtime(path.join(root, p))))) await build();
if (process.argv[2] !== "--build") await import(pathToFileURL(outfile).href);
