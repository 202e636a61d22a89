export type RouteTableEntry = { template: string; methods: string[]; kind: "route" | "page" };
export function exportedMethods(source: string): string[];
export function routeTable(appDir?: string): RouteTableEntry[];
