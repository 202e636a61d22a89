// Every route template under app/ and the methods it answers, read from the files on disk: next.config.js inlines
// it into the build (proxy.ts answers other methods in our error shapes), and the fuzz test walks it, so a new
// route is covered by both without a list to keep.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** The methods a route.ts source exports (Next also answers HEAD for a GET). */
export function exportedMethods(source) {
  return METHODS.filter((m) => new RegExp(`export (?:const|async function|function) ${m}\\b|export \\{[^}]*\\b${m}\\b`).test(source));
}

/** @returns {{ template: string; methods: string[]; kind: "route" | "page" }[]} */
export function routeTable(appDir = path.resolve("app")) {
  const out = [];
  const walk = (dir, segments) => {
    for (const entry of readdirSync(dir).sort()) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) {
        if (entry.startsWith("_") || entry.startsWith("@")) continue;
        walk(full, /^\(.*\)$/.test(entry) ? segments : [...segments, entry]);
      } else if (entry === "route.ts") {
        out.push({ template: `/${segments.join("/")}`, methods: exportedMethods(readFileSync(full, "utf8")), kind: "route" });
      } else if (entry === "page.tsx") {
        out.push({ template: `/${segments.join("/")}`, methods: ["GET"], kind: "page" });
      }
    }
  };
  walk(appDir, []);
  return out;
}
