/**
 * A real remote MCP server protected by OAuth, for tests, the e2e server and `npm run dev` (MCP SDK v1:
 * McpServer + StreamableHTTPServerTransport in stateless mode, Express app from the SDK, the SDK's
 * requireBearerAuth middleware).
 *
 *   const { as, mcp } = await startMcpStack()     // an AS with dynamic registration + RFC 8707, and the server
 *   mcp.url                                       // http://127.0.0.1:<port>/mcp — also the RFC 8707 resource
 *   await callWhoami(mcp.url, accessToken)        // → the token's subject, e.g. "alice-sub"
 *
 * - POST /mcp (JSON-RPC over Streamable HTTP; GET and DELETE answer 405, there are no sessions) needs
 *   `Authorization: Bearer <token>`; the token is introspected at the authorization server (RFC 7662) and must be
 *   active, unexpired and issued for `<origin>/mcp` (its `aud`, RFC 8707). Otherwise 401 with
 *   `WWW-Authenticate: Bearer error="invalid_token", error_description="…", resource_metadata="<origin>/.well-known/oauth-protected-resource/mcp"`.
 * - RFC 9728 metadata at /.well-known/oauth-protected-resource/mcp and /.well-known/oauth-protected-resource:
 *   {resource: "<origin>/mcp", authorization_servers: [issuer], scopes_supported: ["mcp:tools"], bearer_methods_supported: ["header"]}.
 * - One tool, `whoami` (no arguments): text content = the token's subject.
 * - stats(): {authorized, unauthorized} requests to /mcp (401/403 answers count as unauthorized).
 * The Host header must be 127.0.0.1 / localhost (the SDK's DNS-rebinding protection answers 403 otherwise).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { type IntrospectionResponse, type OAuthAS, type StartOAuthASOptions, RESOURCE_SCOPE, startOAuthAS } from "./oauth-as";

export type Introspector = (token: string) => Promise<Pick<IntrospectionResponse, "active" | "sub" | "scope" | "aud" | "exp" | "client_id">>;
/** Credentials of a client allowed to introspect at the AS; the endpoint comes from its RFC 8414 metadata. */
export type IntrospectionCredentials = { client_id: string; client_secret: string };

export type StartMcpServerOptions = {
  port?: number;
  /** The issuer of the authorization server that issues tokens for this server. */
  authorizationServer: string;
  introspect: Introspector | IntrospectionCredentials;
};

export type McpServerStats = { authorized: number; unauthorized: number };

export type McpTestServer = {
  /** http://127.0.0.1:<port>/mcp: the endpoint and the RFC 8707 resource identifier. */
  url: string;
  origin: string;
  port: number;
  /** <origin>/.well-known/oauth-protected-resource/mcp, as sent in WWW-Authenticate. */
  resourceMetadataUrl: string;
  issuer: string;
  stats(): McpServerStats;
  reset(): void;
  stop(): Promise<void>;
};

function introspectorFor(issuer: string, creds: IntrospectionCredentials): Introspector {
  let endpoint: Promise<string> | undefined;
  return async (token) => {
    endpoint ??= fetch(new URL("/.well-known/oauth-authorization-server", issuer))
      .then((r) => r.json() as Promise<{ introspection_endpoint?: string }>)
      .then((m) => {
        if (!m.introspection_endpoint) throw new Error("the authorization server has no introspection_endpoint");
        return m.introspection_endpoint;
      });
    endpoint.catch(() => (endpoint = undefined));
    const res = await fetch(await endpoint, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(creds.client_id)}:${encodeURIComponent(creds.client_secret)}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams({ token }),
    });
    if (!res.ok) throw new Error(`introspection: HTTP ${res.status}`);
    return (await res.json()) as IntrospectionResponse;
  };
}

export async function startMcpServer(options: StartMcpServerOptions): Promise<McpTestServer> {
  const issuer = options.authorizationServer.replace(/\/$/, "");
  const introspect = typeof options.introspect === "function" ? options.introspect : introspectorFor(issuer, options.introspect);
  let stats: McpServerStats = { authorized: 0, unauthorized: 0 };

  const app = createMcpExpressApp({ host: "127.0.0.1" });
  const httpServer = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  // Routes go in once the port is known; nobody can reach the server before this function returns.
  const port = (httpServer.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const resource = `${origin}/mcp`;
  const resourceMetadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const metadata = () => ({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [RESOURCE_SCOPE],
    bearer_methods_supported: ["header"],
    resource_name: "Gatehouse test MCP server",
  });

  const verifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const info = await introspect(token);
      if (!info.active) throw new InvalidTokenError("Token is not active");
      const audiences = info.aud === undefined ? [] : Array.isArray(info.aud) ? info.aud : [info.aud];
      const aud = audiences.find((a) => a === resource) ?? audiences[0];
      let resourceUrl: URL | undefined;
      try {
        resourceUrl = aud ? new URL(aud) : undefined;
      } catch {
        resourceUrl = undefined;
      }
      return {
        token,
        clientId: info.client_id ?? "",
        scopes: info.scope ? info.scope.split(" ") : [],
        expiresAt: info.exp,
        resource: resourceUrl,
        extra: { sub: info.sub },
      };
    },
  };

  const auth = requireBearerAuth({ verifier, resourceMetadataUrl, expectedResource: new URL(resource) });

  app.get(["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"], (_req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = JSON.stringify(metadata());
    res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });

  const count = (_req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => {
    res.once("finish", () => {
      if (res.statusCode === 401 || res.statusCode === 403) stats.unauthorized += 1;
      else stats.authorized += 1;
    });
    next();
  };

  app.post("/mcp", count, auth, async (req: http.IncomingMessage & { auth?: AuthInfo; body?: unknown }, res: http.ServerResponse) => {
    const server = new McpServer({ name: "gatehouse-test-mcp", version: "1.0.0" });
    server.registerTool("whoami", { description: "Returns the subject of the access token this request carries." }, (extra) => ({
      content: [{ type: "text", text: String(extra.authInfo?.extra?.sub ?? "") }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const notAllowed = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed (stateless server)." }, id: null });
    res.writeHead(405, { "content-type": "application/json", allow: "POST" });
    res.end(body);
  };
  app.get("/mcp", count, auth, notAllowed);
  app.delete("/mcp", count, auth, notAllowed);


  let stopping: Promise<void> | undefined;
  return {
    url: resource,
    origin,
    port,
    resourceMetadataUrl,
    issuer,
    stats: () => ({ ...stats }),
    reset() {
      stats = { authorized: 0, unauthorized: 0 };
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      return stopping;
    },
  };
}

/** Calls the `whoami` tool with a static bearer token (the SDK client, no OAuth of its own); rejects on 401. */
export async function callWhoami(url: string, accessToken: string): Promise<string> {
  const client = new Client({ name: "gatehouse-test-client", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } });
  try {
    await client.connect(transport);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    const content = result.content as Array<{ type: string; text?: string }> | undefined;
    const text = content?.find((c) => c.type === "text")?.text;
    if (result.isError || text === undefined) throw new Error(`whoami failed: ${JSON.stringify(result).slice(0, 300)}`);
    return text;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export type McpStack = { as: OAuthAS; mcp: McpTestServer; stop(): Promise<void> };

/** An AS with open registration and the MCP server as its one resource server, plus that server. */
export async function startMcpStack(
  options: { port?: number; asPort?: number } & Pick<StartOAuthASOptions, "accessTokenTtlSeconds" | "accounts" | "clients" | "requirePkce"> = {},
): Promise<McpStack> {
  const { port, asPort, ...asOptions } = options;
  const as = await startOAuthAS({ ...asOptions, port: asPort, dynamicRegistration: true, resourceIndicators: { resources: [] } });
  let mcp: McpTestServer;
  try {
    mcp = await startMcpServer({ port, authorizationServer: as.issuer, introspect: (token) => as.introspect(token) });
  } catch (err) {
    await as.stop();
    throw err;
  }
  as.allowResource(mcp.url);
  return { as, mcp, stop: () => Promise.all([mcp.stop(), as.stop()]).then(() => undefined) };
}
