// The dependency-cruiser rules of .dependency-cruiser.cjs (npm run lint:floors) on planted violations: each
// rule must fail a tree that breaks it, and the real tree must pass.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cruise(cwd: string, targets: string[]) {
  const bin = path.join(root, "node_modules/.bin/depcruise");
  const r = spawnSync(bin, ["--config", path.join(root, ".dependency-cruiser.cjs"), ...targets], { cwd, encoding: "utf8" });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A scratch tree of tiny modules: `{ "lib/a/x.ts": ["../b/y"] }` writes x.ts importing ../b/y. */
function plant(files: Record<string, string[]>) {
  const dir = mkdtempSync(path.join(tmpdir(), "floors-"));
  dirs.push(dir);
  cpSync(path.join(root, "tsconfig.json"), path.join(dir, "tsconfig.json"));
  for (const [file, imports] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    const body = imports.map((spec, i) => `import * as m${i} from "${spec}";\nexport const u${i} = m${i};`).join("\n");
    writeFileSync(path.join(dir, file), `${body}\nexport const here = 1;\n`);
  }
  return dir;
}

describe("the floors of lib/ (dependency-cruiser)", () => {
  it("passes on the real tree", () => {
    const r = cruise(root, ["lib", "app", "auth.ts", "proxy.ts", "instrumentation.ts"]);
    expect(r.out).toContain("no dependency violations found");
    expect(r.code).toBe(0);
  });

  it.each([
    ["lib-never-imports-app", { "lib/secrets/x.ts": ["../../app/page"], "app/page.ts": [] }],
    ["ground-floor-imports-nothing-of-ours", { "lib/errors.ts": ["./db/client"], "lib/db/client.ts": [] }],
    ["infrastructure-stays-below-domains", { "lib/db/client.ts": ["../secrets/store"], "lib/secrets/store.ts": [] }],
    ["infrastructure-stays-below-domains", { "lib/audit/append.ts": ["../auth/cookies"], "lib/auth/cookies.ts": [] }],
    ["domains-stay-below-auth-flows-gateway", { "lib/secrets/store.ts": ["../flows/settings-link"], "lib/flows/settings-link.ts": [] }],
    ["domains-stay-below-auth-flows-gateway", { "lib/jobs/create.ts": ["../auth/job-token"], "lib/auth/job-token.ts": [] }],
    ["no-folder-cycles", { "lib/members/a.ts": ["../portal/b"], "lib/portal/b.ts": [], "lib/portal/c.ts": ["../members/d"], "lib/members/d.ts": [] }],
    ["no-module-cycles", { "lib/jobs/a.ts": ["./b"], "lib/jobs/b.ts": ["./a"] }],
  ])("fails %s on a planted violation", (rule, files) => {
    const dir = plant(files);
    const r = cruise(dir, ["lib", ...(Object.keys(files).some((f) => f.startsWith("app/")) ? ["app"] : [])]);
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toContain(`error ${rule}`);
  });
});
