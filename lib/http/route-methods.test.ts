// The route table the build inlines, matched the way Next picks a route: what proxy.ts refuses as a 405.
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
