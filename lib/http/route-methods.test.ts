// The route table the build inlines, matched the way Next picks a route: what proxy.ts refuses as a 405.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { routeTable } from "../../scripts/lib/route-table.mjs";
import { routeFor, takes } from "./route-methods";

const table = routeTable();

describe("routeFor over the app's own routes", () => {
  it.each([
    ["/settings/open", "route", ["POST"]],
    ["/settings", "page", ["GET"]],
    ["/api/v1/jobs/123/complete", "route", ["POST"]],
    ["/api/v1/worker/jobs/x/credentials", "route", ["GET"]],
    ["/api/health", "route", ["GET"]],
  ])("%s is a %s taking exactly %j", (path, kind, methods) => {
    const route = routeFor(table, path);
    expect(route?.kind).toBe(kind);
    expect([...route!.methods].sort()).toEqual([...methods].sort());
  });

  it("prefers static segments, then dynamic, then the /api catch-all", () => {
    expect(routeFor(table, "/api/v1/jobs")?.template).toBe("/api/v1/jobs");
    expect(routeFor(table, "/api/v1/jobs/abc")?.template).toBe("/api/v1/jobs/[jobId]");
    expect(routeFor(table, "/api/v1/jobs/abc/nope")?.template).toBe("/api/[...path]");
    expect(routeFor(table, "/api/auth/session")?.template).toBe("/api/auth/[...nextauth]");
  });

  it("takes HEAD wherever GET is taken, and nothing else unexported", () => {
    expect(takes(routeFor(table, "/settings")!, "HEAD")).toBe(true);
    expect(takes(routeFor(table, "/settings")!, "POST")).toBe(false);
    expect(takes(routeFor(table, "/settings/open")!, "HEAD")).toBe(false);
  });

  it("knows no route for a path nothing serves (Next's 404 follows)", () => {
    expect(routeFor(table, "/no-such-page")).toBeNull();
    expect(routeFor(table, "/SETTINGS")).toBeNull();
  });
});

// proxy.ts does not run for most of /api (SPEC §11), so nothing answers a method a route does not export but the
// route itself: Next's empty 405 (or its own OPTIONS 204) would be the answer otherwise.
describe("every API route answers every method itself", () => {
  const ALL = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  const apiRoutes = table.filter((r) => r.kind === "route" && r.template.startsWith("/api/") && !/^\/api\/(auth|admin-auth)\//.test(r.template));

  it.each(apiRoutes.map((r) => [r.template, r] as const))("%s", (template, route) => {
    const source = readFileSync(path.join("app", ...template.split("/").filter(Boolean), "route.ts"), "utf8");
    const other = /export const \{ ([A-Z, ]+) \} = otherMethods\(([^)]*)\)/.exec(source);
    const refused = other ? other[1]!.split(", ") : [];
    // The 405's Allow names exactly what the route serves, as proxy.ts would have said.
    if (other) expect(other[2]!.split(", ").map((m) => m.replace(/"/g, ""))).toEqual(route.methods);
    for (const method of ALL) expect(route.methods.includes(method) || refused.includes(method), `${template} ${method}`).toBe(true);
    // HEAD: Next runs GET for a route that has one; anything else must refuse it.
    expect(route.methods.includes("GET") || route.methods.includes("HEAD") || refused.includes("HEAD"), `${template} HEAD`).toBe(true);
  });
});
