// Runs the fake third-party authorization server (and optionally the OAuth-protected MCP server with its own AS)
// as their own process (the e2e server, `npm run dev`):
//   tsx test/fakes/serve-oauth.ts --port N --client-id X --client-secret Y --redirect-uri U [--redirect-uri U2]
//                                 [--access-token-ttl S] [--mcp-port M] [--mcp-as-port P]
// Port 0 (the default) picks a free port. Prints one JSON line {"as":{"issuer"},"mcp":{"url","issuer"}} ("mcp" only
// with --mcp-port) once everything listens; stops on SIGINT/SIGTERM. Both AS origins serve /__fake/* (./oauth-control.ts).
import { parseArgs } from "node:util";
import { startMcpStack } from "./mcp-server";
import { startOAuthAS } from "./oauth-as";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "redirect-uri": { type: "string", multiple: true },
    "access-token-ttl": { type: "string" },
    "mcp-port": { type: "string" },
    "mcp-as-port": { type: "string", default: "0" },
  },
});

function port(raw: string | undefined, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a TCP port number, got ${JSON.stringify(raw)}`);
  return n;
}

const ttl = values["access-token-ttl"] === undefined ? undefined : Number(values["access-token-ttl"]);
if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1)) throw new Error("--access-token-ttl must be a positive number of seconds");
const clientId = values["client-id"];
const redirectUris = values["redirect-uri"] ?? [];
if (clientId && redirectUris.length === 0) throw new Error("--client-id needs at least one --redirect-uri");

const as = await startOAuthAS({
  port: port(values.port, "port"),
  accessTokenTtlSeconds: ttl,
  clients: clientId ? [{ client_id: clientId, client_secret: values["client-secret"], redirect_uris: redirectUris }] : [],
});
const stack = values["mcp-port"] === undefined ? undefined : await startMcpStack({ port: port(values["mcp-port"], "mcp-port"), asPort: port(values["mcp-as-port"], "mcp-as-port"), accessTokenTtlSeconds: ttl });

process.stdout.write(`${JSON.stringify({ as: { issuer: as.issuer }, ...(stack ? { mcp: { url: stack.mcp.url, issuer: stack.as.issuer } } : {}) })}\n`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void Promise.all([as.stop(), stack?.stop()]).finally(() => process.exit(0));
  });
}
