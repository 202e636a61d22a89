import { routeTable } from "./scripts/lib/route-table.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  experimental: { authInterrupts: true },
  // proxy.ts must see Next's router headers (Next-Router-State-Tree): an unusable one makes Next answer a bare 500.
  skipProxyUrlNormalize: true,
  serverExternalPackages: ["pino", "pg", "ioredis", "@prisma/adapter-pg", "oidc-provider"],
  // Inlined at build time: proxy.ts answers a method no route takes in our error shapes (lib/http/route-methods.ts).
  env: { GATEHOUSE_ROUTE_METHODS: JSON.stringify(routeTable()) },
};

export default nextConfig;
