/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  experimental: { authInterrupts: true },
  serverExternalPackages: ["pino", "pg", "ioredis", "@prisma/adapter-pg", "oidc-provider"],
};

export default nextConfig;
