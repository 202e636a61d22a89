// The npm registry reachable here serves only this platform's optional native packages (other platforms'
// @next/swc-*, @tailwindcss/oxide-*, … answer 404), so npm cannot record them in package-lock.json and
// `npm ci` then rejects the lock as out of sync. This adds the missing optional entries with the os/cpu
// their names declare, so `npm ci` skips them on every other platform exactly as npm would.
// Run after changing dependencies: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from "node:fs";

const OS = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "netbsd", "sunos", "aix", "wasi"];
const CPU = ["arm64", "x64", "arm", "ia32", "ppc64", "s390x", "riscv64", "loong64", "wasm32", "mips64el"];

const file = "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8"));
const packages = lock.packages;
let added = 0;

for (const [location, pkg] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ""}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const tokens = name.split("/").pop().split("-");
    const os = tokens.find((t) => OS.includes(t));
    const cpu = tokens.find((t) => CPU.includes(t));
    const libc = tokens.includes("musl") ? "musl" : tokens.includes("gnu") || tokens.includes("gnueabihf") ? "glibc" : undefined;
    packages[`node_modules/${name}`] = {
      version: String(range).replace(/^[\^~=]/, ""),
      optional: true,
      ...(os && os !== "wasi" ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(libc ? { libc: [libc] } : {}),
    };
    added += 1;
  }
}

writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`package-lock.json: recorded ${added} optional platform package(s)\n`);
