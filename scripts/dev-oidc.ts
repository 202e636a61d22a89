/**
 * Local development OpenID Connect provider (oidc-provider, in-memory state).
 *
 * Run: `npx tsx scripts/dev-oidc.ts`
 *   DEV_OIDC_PORT           default 3999
 *   DEV_OIDC_CLIENT_ID      default gatehouse-dev
 *   DEV_OIDC_CLIENT_SECRET  default gatehouse-dev-secret
 *   DEV_OIDC_REDIRECT_URIS  comma-separated, default http://localhost:3000/api/auth/callback/settings and
 *                           http://localhost:3000/api/admin-auth/callback/admin
 *
 * Browser flow uses oidc-provider's stock devInteractions pages:
 *   1. Sign-in page: `input[name=login]` (must be an account key of
 *      DEV_OIDC_ACCOUNTS), `input[name=password]` (anything), submit button "Sign-in".
 *      An unknown login does not sign in: the authorization ends with
 *      `error=access_denied` at the client's redirect_uri.
 *   2. Consent page: NOT auto-granted. The user clicks the "Continue" button
 *      (once per session and client; later authorizations reuse the grant).
 *
 * oidc-provider still prints its own development warnings to stderr
 * (devInteractions, in-memory adapter, and "Unsupported runtime" below Node 22);
 * it offers no documented switch to silence them.
 */
import { generateKeyPair, randomBytes, randomUUID, type JsonWebKey } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Provider, { type Account, type InteractionResults } from "oidc-provider";

export interface DevOidcAccount {
  sub: string;
  email: string;
  name: string;
}

// carol and dave are the admin console's e2e accounts (an owner and a plain member), bound by their own tests.
export const DEV_OIDC_ACCOUNTS: Readonly<Record<"alice" | "mallory" | "carol" | "dave", DevOidcAccount>> = {
  alice: { sub: "alice", email: "alice@example.test", name: "Alice Example" },
  mallory: { sub: "mallory", email: "mallory@example.test", name: "Mallory Example" },
  carol: { sub: "carol", email: "carol@example.test", name: "Carol Example" },
  dave: { sub: "dave", email: "dave@example.test", name: "Dave Example" },
};

export interface DevOidcClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface DevOidcProviderOptions {
  /** 0 picks a free port; the issuer reflects the port actually bound. */
  port: number;
  host?: string;
  clients: DevOidcClient[];
}

export interface DevOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

const INTERACTION_SUBMIT_PATH = /^\/interaction\/[^/]+$/;
const MAX_FORM_BYTES = 16 * 1024;

function findDevAccount(id: string | null | undefined): DevOidcAccount | undefined {
  if (!id) return undefined;
  const key = id.trim().toLowerCase();
  return Object.hasOwn(DEV_OIDC_ACCOUNTS, key)
    ? DEV_OIDC_ACCOUNTS[key as keyof typeof DEV_OIDC_ACCOUNTS]
    : undefined;
}

function toOidcAccount(account: DevOidcAccount): Account {
  return {
    accountId: account.sub,
    claims: () => ({
      sub: account.sub,
      email: account.email,
      email_verified: true,
      name: account.name,
    }),
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_FORM_BYTES) throw new Error("interaction form too large");
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/**
 * devInteractions' own login submit trusts any login name as an accountId and
 * persists it in the session; findAccount then returns undefined and every later
 * authorization in that browser session crashes. So the login submit is handled
 * here (same form, same result shape) and unknown names end the interaction with
 * access_denied. Consent submits and everything else go to devInteractions.
 */
async function handleLoginSubmit(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  if (req.method !== "POST") return false;
  const { pathname } = new URL(req.url ?? "/", "http://placeholder");
  if (!INTERACTION_SUBMIT_PATH.test(pathname)) return false;

  let promptName: string;
  try {
    promptName = (await provider.interactionDetails(req, res)).prompt.name;
  } catch {
    // Missing/expired interaction: let oidc-provider render its usual error page.
    return false;
  }
  if (promptName !== "login") return false;

  const account = findDevAccount((await readForm(req)).get("login"));
  const result: InteractionResults = account
    ? { login: { accountId: account.sub } }
    : { error: "access_denied", error_description: "unknown dev OIDC account" };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  return true;
}

function formatIssuer(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

function createProvider(issuer: string, clients: DevOidcClient[], signingKey: JsonWebKey): Provider {
  return new Provider(issuer, {
    clients: clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      // next-auth's default. "web" clients may use http://localhost redirect URIs
      // with the code flow (only implicit forbids them); matching is exact.
      token_endpoint_auth_method: "client_secret_basic",
      application_type: "web",
    })),
    // Ephemeral: without `jwks`, oidc-provider would sign with a fixed key baked into the package.
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
    scopes: ["openid", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: false,
    // S256 is the only code_challenge_method oidc-provider v9 supports.
    pkce: { required: () => true },
    // Explicit TTLs (seconds) keep oidc-provider from logging "you SHOULD change ttl.*" notices.
    ttl: {
      AccessToken: 60 * 60,
      AuthorizationCode: 60,
      IdToken: 60 * 60,
      Interaction: 60 * 60,
      Session: 24 * 60 * 60,
      Grant: 24 * 60 * 60,
    },
    findAccount: (_ctx, sub) => {
      const account = findDevAccount(sub);
      return account && account.sub === sub ? toOidcAccount(account) : undefined;
    },
  });
}

export async function startDevOidcProvider(opts: DevOidcProviderOptions): Promise<DevOidcProvider> {
  const host = opts.host ?? "127.0.0.1";

  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };

  const server = createServer();
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once("error", rejectListen);
    server.listen(opts.port, host, () => {
      server.off("error", rejectListen);
      resolveListen();
    });
  });

  const issuer = formatIssuer(host, (server.address() as AddressInfo).port);

  let provider: Provider;
  try {
    provider = createProvider(issuer, opts.clients, signingKey);
  } catch (err) {
    server.close();
    throw err;
  }
  const callback = provider.callback();
  // Attached synchronously after listen() resolved, so no request can arrive unhandled.
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (await handleLoginSubmit(provider, req, res)) return;
      await callback(req, res);
    })().catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });

  const stop = (): Promise<void> =>
    new Promise<void>((resolveClose, rejectClose) => {
      server.close((err) => (err ? rejectClose(err) : resolveClose()));
      // fetch/browsers keep sockets alive; close() alone would wait for them.
      server.closeAllConnections();
    });

  // Static clients are otherwise only validated on first use; fail at startup instead.
  try {
    for (const client of opts.clients) await provider.Client.find(client.clientId);
  } catch (err) {
    await stop();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    issuer,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

function envOrDefault(name: string, fallback: string): string {
  const value = process.env[name]?.trim();
  return value ? value : fallback;
}

async function main(): Promise<void> {
  const port = Number(envOrDefault("DEV_OIDC_PORT", "3999"));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`DEV_OIDC_PORT must be a TCP port number, got ${JSON.stringify(process.env.DEV_OIDC_PORT)}`);
  }
  const redirectUris = envOrDefault("DEV_OIDC_REDIRECT_URIS", "http://localhost:3000/api/auth/callback/settings,http://localhost:3000/api/admin-auth/callback/admin")
    .split(",")
    .map((uri) => uri.trim())
    .filter(Boolean);

  const dev = await startDevOidcProvider({
    port,
    clients: [
      {
        clientId: envOrDefault("DEV_OIDC_CLIENT_ID", "gatehouse-dev"),
        clientSecret: envOrDefault("DEV_OIDC_CLIENT_SECRET", "gatehouse-dev-secret"),
        redirectUris,
      },
    ],
  });

  console.log(
    `dev OIDC provider listening on ${dev.issuer} (accounts: ${Object.keys(DEV_OIDC_ACCOUNTS).join(", ")})`,
  );

  const shutdown = () => {
    dev.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

const invokedPath = process.argv[1] ? resolve(process.argv[1]) : undefined;
if (invokedPath === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
