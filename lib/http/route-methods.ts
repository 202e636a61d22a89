// Which route serves a path and which methods it takes, from the table next.config.js inlines at build time
// (scripts/lib/route-table.mjs). Next answers a method a route handler does not export with an empty 405, and a
// page with a bare "Server Action" text; neither is the JSON shape under /api nor a page elsewhere.

export type RouteEntry = { template: string; methods: string[]; kind: "route" | "page" };

const rank = (segment: string) => (segment.startsWith("[...") ? 0 : segment.startsWith("[") ? 1 : 2);

function matches(pattern: string[], path: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith("[...")) return path.length > i;
    if (i >= path.length || (rank(p) === 2 && p !== path[i])) return false;
  }
  return pattern.length === path.length;
}

type Parsed = { entry: RouteEntry; segments: string[] }[];
// Split once per table: the proxy asks on every request.
const parsedTables = new WeakMap<RouteEntry[], Parsed>();
function parsed(table: RouteEntry[]): Parsed {
  let p = parsedTables.get(table);
  if (!p) {
    p = table.map((entry) => ({ entry, segments: entry.template.split("/").filter(Boolean) }));
    parsedTables.set(table, p);
  }
  return p;
}

/** The route that serves `pathname` (static segments before dynamic before catch-all, as Next picks), or null. */
export function routeFor(table: RouteEntry[], pathname: string): RouteEntry | null {
  const path = pathname.split("/").filter(Boolean);
  const candidates = parsed(table).filter((c) => matches(c.segments, path));
  candidates.sort((a, b) => {
    for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
      const d = rank(b.segments[i]!) - rank(a.segments[i]!);
      if (d) return d;
    }
    return b.segments.length - a.segments.length;
  });
  return candidates[0]?.entry ?? null;
}

/** Whether the route answers the method itself; Next answers HEAD for a route or page that has GET. */
export function takes(route: RouteEntry, method: string): boolean {
  return route.methods.includes(method) || (method === "HEAD" && route.methods.includes("GET"));
}

let table: RouteEntry[] | undefined;

/** The table of this build (empty where next.config.js did not run, e.g. unit tests). */
export function builtRouteTable(): RouteEntry[] {
  if (!table) {
    try {
      table = JSON.parse(process.env.GATEHOUSE_ROUTE_METHODS ?? "[]") as RouteEntry[];
    } catch {
      table = [];
    }
  }
  return table;
}
