import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  globalIgnores([".next/**", "generated/**", ".gatehouse/**", "test-results/**", "playwright-report/**", "next-env.d.ts"]),
  {
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Everything user-facing logs through lib/log (pino with redaction); the CLI prints its results.
    files: ["app/**", "lib/**"],
    rules: { "no-console": "error" },
  },
  {
    // The chat fakes and test helpers run from tests and `npm run dev` only: nothing the server ships may reach them.
    files: ["app/**", "lib/**", "auth.ts", "admin-auth.ts", "proxy.ts", "instrumentation.ts"],
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/test/*", "@/test/*"], message: "test/ (fakes, factories) never reaches the server; only tests and scripts/ import it." }] }],
    },
  },
]);
