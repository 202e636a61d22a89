// `npm run gatehouse`: runs the operator CLI from an esbuild bundle (.gatehouse/cli/<build>/gatehouse.mjs), rebuilt
// only when a source file is newer than it, so a call costs a node start instead of a TypeScript compile (SPEC §9:
// under 1 s). Code-split: a command loads only the modules (and packages) it uses, and --help loads none.
// `node scripts/cli.mjs --build` only builds.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outRoot = path.join(root, ".gatehouse/cli");
// Names the current build's folder; replaced by rename, so a concurrent call sees the old build or the new, whole.
const pointer = path.join(outRoot, "current");
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
  mkdirSync(outRoot, { recursive: true });
  const name = `build-${Date.now()}-${process.pid}`;
  const outdir = path.join(outRoot, name);
  await esbuild({
    absWorkingDir: root,
    entryPoints: ["scripts/gatehouse.ts"],
    outdir,
    entryNames: "[name]",
    outExtension: { ".js": ".mjs" },
    splitting: true,
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
  // The folder is complete before the pointer names it: a concurrent call (parallel test workers) never imports a
  // half-written build. Builds older than the previous one go; a call still running from those has loaded them.
  const previous = currentBuild();
  const tmp = `${pointer}.${process.pid}.tmp`;
  writeFileSync(tmp, name);
  renameSync(tmp, pointer);
  for (const entry of readdirSync(outRoot)) {
    if (entry.startsWith("build-") && entry !== name && entry !== previous) rmSync(path.join(outRoot, entry), { recursive: true, force: true });
  }
}

function currentBuild() {
  try {
    return readFileSync(pointer, "utf8").trim();
  } catch {
    return null;
  }
}

const built = statSync(pointer, { throwIfNoEntry: false })?.mtimeMs ?? 0;
if (built < Math.max(...INPUTS.map((p) => newestMtime(path.join(root, p))))) await build();
if (process.argv[2] !== "--build") await import(pathToFileURL(path.join(outRoot, currentBuild() ?? "", "gatehouse.mjs")).href);
