// The connections of `npm run dev`: a demo third-party provider (a real oidc-provider authorization server with
// refresh-token rotation and revocation, test/fakes/oauth-as.ts) configured as provider "demo" in the demo workspace,
// and a real MCP SDK server behind its own authorization server (dynamic registration, resource indicators). Both
// listen on 127.0.0.1, which the outbound rules refuse, so dev.ts lists exactly their ports in GATEHOUSE_OUTBOUND_ALLOW.
import { randomBytes } from "node:crypto";
import { startMcpStack } from "../../test/fakes/mcp-server";
import { startOAuthAS } from "../../test/fakes/oauth-as";
import { ServiceError } from "./services";

export const DEMO_PROVIDER_ID = "demo";

export type DevConnections = { providerIssuer: string; mcpUrl: string; stop(): Promise<void> };

export function devConnectionPorts() {
  const port = (variable: string, fallback: number) => Number(process.env[variable] || fallback);
  return { as: port("DEV_CONNECT_AS_PORT", 3995), mcp: port("DEV_MCP_PORT", 3989), mcpAs: port("DEV_MCP_AS_PORT", 3988) };
}

/** The GATEHOUSE_OUTBOUND_ALLOW entries the dev servers need, added to whatever the developer set. */
export function devOutboundAllow(existing: string | undefined): string {
  const ports = devConnectionPorts();
  const entries = new Set((existing ?? "").split(",").map((e) => e.trim()).filter(Boolean));
  for (const p of [ports.as, ports.mcp, ports.mcpAs]) entries.add(`127.0.0.1:${p}`);
  return [...entries].join(",");
}

async function listening<T>(start: () => Promise<T>, variable: string, port: number): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if ((err as { code?: string }).code === "EADDRINUSE") throw new ServiceError(`port ${port} is in use; stop what holds it or set ${variable} to a free port`);
    throw err;
  }
}

export async function startDevConnections({ publicUrl, workspaceId }: { publicUrl: string; workspaceId: string }): Promise<DevConnections> {
  const ports = devConnectionPorts();
  const clientId = "gatehouse-dev-connect";
  const clientSecret = randomBytes(24).toString("base64url");
  const as = await listening(
    () =>
      startOAuthAS({
        port: ports.as,
        clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl}/settings/connections/callback`] }],
        // Short-lived access tokens, so a job shows a refresh within minutes.
        accessTokenTtlSeconds: 900,
      }),
    "DEV_CONNECT_AS_PORT",
    ports.as,
  );
  let mcp: Awaited<ReturnType<typeof startMcpStack>>;
  try {
    mcp = await listening(() => startMcpStack({ port: ports.mcp, asPort: ports.mcpAs }), "DEV_MCP_PORT", ports.mcp);
  } catch (err) {
    await as.stop();
    throw err;
  }

  // A fresh client secret every run (the provider's state is in memory): the demo provider is configured again.
  const { addProvider, removeProvider, providerExists } = await import("../../lib/connections/providers");
  const actor = { type: "system", id: "dev-seed" } as const;
  if (await providerExists({ workspaceId, providerId: DEMO_PROVIDER_ID })) await removeProvider({ workspaceId, id: DEMO_PROVIDER_ID, actor });
  await addProvider({
    workspaceId,
    id: DEMO_PROVIDER_ID,
    template: "generic-oidc",
    clientId,
    clientSecret,
    issuer: as.issuer,
    scopes: "openid email profile offline_access",
    actor,
  });
  return { providerIssuer: as.issuer, mcpUrl: mcp.mcp.url, stop: async () => void (await Promise.allSettled([as.stop(), mcp.stop()])) };
}

/** The banner's lines: connect the demo account, then watch a job receive its token. */
export function connectionLines({ publicUrl, connections, aliceTelegramId }: { publicUrl: string; connections: DevConnections; aliceTelegramId: string }): string[] {
  return [
    `  Connections:    open the link above, then Connections → Connect on "${DEMO_PROVIDER_ID}" (sign in as alice, any password),`,
    `                  or Add MCP server ${connections.mcpUrl}. Then a job granted the connection gets a fresh token:`,
    `    JOB=$(curl -s -X POST ${publicUrl}/api/v1/jobs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\`,
    `      -d '{"user":{"platform":"telegram","id":"${aliceTelegramId}"},"grants":[{"connection":"${DEMO_PROVIDER_ID}","envVar":"DEMO_ACCESS_TOKEN"}]}')`,
    `    curl -s ${publicUrl}/api/v1/worker/jobs/$(echo "$JOB" | node -pe 'JSON.parse(fs.readFileSync(0)).jobId')/credentials \\`,
    `      -H "Authorization: Bearer $(echo "$JOB" | node -pe 'JSON.parse(fs.readFileSync(0)).token')"`,
    "",
  ];
}
