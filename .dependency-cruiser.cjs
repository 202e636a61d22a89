// The floors of ../shared/CONVENTIONS.md ("The house"), checked on every `npm run lint`.
// app/ → lib/auth|flows|gateway → lib/<domain> → lib/<infrastructure> → lib/<ground files>.
const GROUND = "^lib/(errors|config|log|lazy)\\.ts$";
const INFRA = "^lib/(db|redis|http|crypto|audit|ratelimit|outbound)/";
const TOP = "^lib/(auth|flows|gateway|api)/";
const DOMAIN = "^lib/(?!(db|redis|http|crypto|audit|ratelimit|outbound|auth|flows|gateway|api)/)[^/]+/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "lib-never-imports-app",
      severity: "error",
      comment: "lib/ is the product without framework pages: app/ depends on it, never the reverse.",
      from: { path: "^lib/" },
      to: { path: "^(app/|auth\\.ts$|admin-auth\\.ts$|proxy\\.ts$)" },
    },
    {
      name: "ground-floor-imports-nothing-of-ours",
      severity: "error",
      comment: "errors, config, log and lazy are imported by everyone and import only each other.",
      from: { path: GROUND },
      to: { path: "^lib/", pathNot: GROUND },
    },
    {
      name: "infrastructure-stays-below-domains",
      severity: "error",
      comment: "db, redis, http, crypto, audit, ratelimit and outbound know no domain and no caller.",
      from: { path: INFRA },
      to: { path: `${DOMAIN}|${TOP}` },
    },
    {
      name: "domains-stay-below-auth-flows-gateway",
      severity: "error",
      comment: "A domain folder never reaches up into the caller wrappers or cross-domain journeys.",
      from: { path: DOMAIN, pathNot: "\\.test\\.ts$" },
      to: { path: TOP },
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      scope: "folder",
      comment: "No two folders of lib/ import each other, directly or around a loop.",
      from: { path: "^lib/" },
      to: { circular: true },
    },
    {
      name: "no-module-cycles",
      severity: "error",
      from: { path: "^(lib|app)/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|generated|\\.next|test|e2e|scripts)/|\\.test\\.tsx?$" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
