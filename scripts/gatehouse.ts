// The operator CLI (SPEC §9): npm run -s gatehouse -- <command> [--json]
// Only node: modules at the top: the bundle is code-split (scripts/cli.mjs), so --help and usage errors load no
// package, and each command loads just what it uses.
import { once } from "node:events";
import { parseArgs } from "node:util";
import { auditCommands } from "./lib/audit-commands";
import { STREAMED, str, UsageError, uuid, type Command, type Io, type Options } from "./lib/cli-command";
import { loadLocalEnv } from "./lib/env";

const USAGE = `Usage: npm run -s gatehouse -- <command> [options] [--json]

Commands:
  workspace create --name NAME --owner-platform telegram --owner-id ID [--owner-name NAME]
  member add       --workspace W --platform telegram --id ID [--name NAME] [--role member|admin]
  member remove    --workspace W --user USER_ID
  member role      --workspace W --user USER_ID --role owner|admin|member   (the last owner keeps the role)
  member list      --workspace W
  link settings    --workspace W --platform telegram --id ID
  link admin       --workspace W --platform telegram --id ID   (an owner or admin: a one-time admin console link)
  token issue      --workspace W --kind service [--name NAME] [--ttl SECONDS]
  token revoke     --id TOKEN_ID
  invite create    --workspace W [--label L] [--role member|admin] [--max-uses N] [--expires-in SECONDS]
                   the code (gh_inv_…) is printed once; uses 1..1000 (default 1), expiry up to 30 days (default 7)
  invite list      --workspace W
  invite revoke    --id INVITE_ID
  provider add     --workspace W --id ID --template T --client-id C [--client-secret-stdin] [--scopes S]
                   [--issuer URL | --auth-url URL --token-url URL [--userinfo-url URL] [--revocation-url URL]]
                   [--mcp-server URL]
                   templates: github, google, slack, linear, notion, generic-oidc (--issuer),
                   generic-oauth2 (--auth-url, --token-url); the client secret is read from stdin, never an argument;
                   --mcp-server: this client was pre-registered for that one MCP server (its canonical URL) at
                   its authorization server (generic templates only); without it, never used for MCP
  provider list    --workspace W
  provider remove  --workspace W --id ID
  keys rotate
  audit verify     [--workspace W]   the chain and every stored checkpoint, in the database
  audit verify     --file F --public-key K [--checkpoints C] [--workspace W]
                   an NDJSON export, offline (no database, no configuration): K is the base64 SPKI DER key
                   that \`audit public-key\` prints; C the checkpoints you kept from GET /api/v1/audit/checkpoints
                   (its JSON pages, concatenated or one per line, a JSON array or NDJSON of checkpoints): each must
                   verify with K and be in the export with its hash, so dropped checkpoints or a cut tail are caught;
                   W the workspace the export must be of. Events but no valid checkpoint yet: ok, warning no_checkpoints;
                   events after the last checkpoint are reported as unsignedTail
  audit export     --workspace W [--format ndjson|csv]   streams to stdout; NDJSON is the verifiable format
  audit checkpoint --workspace W   signs the head now (as the hourly sweep would)
  audit public-key the key that verifies checkpoints: {publicKey, keyId}
  batch            one command per line on stdin, as a JSON array of its arguments; one JSON line
                   {"exit":N,"output":{…}} per command on stdout (for scripts: one process, one connection)

With --json, exactly one JSON object is printed on stdout (an {"error":…} object on failure).`;

const ACTOR = { type: "system", id: "cli" } as const;

function wholeNumber(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[0-9]{1,10}$/.test(value)) throw new UsageError(`--${flag} must be a whole number, got "${String(value)}"`);
  return Number(value);
}

const commands: Command[] = [
  {
    name: "workspace create",
    options: { name: str, "owner-platform": str, "owner-id": str, "owner-name": str },
    required: ["name", "owner-platform", "owner-id"],
    async run(o) {
      const { createWorkspace } = await import("../lib/workspaces/workspace");
      const { parsePlatformIdentity } = await import("../lib/identity/platform");
      return createWorkspace({
        name: o.name as string,
        owner: parsePlatformIdentity(o["owner-platform"] as string, o["owner-id"] as string),
        ownerName: o["owner-name"] as string | undefined,
        actor: ACTOR,
      });
    },
  },
  {
    name: "member add",
    options: { workspace: str, platform: str, id: str, name: str, role: str },
    required: ["workspace", "platform", "id"],
    async run(o) {
      const role = (o.role as string | undefined) ?? "member";
      if (role !== "member" && role !== "admin") throw new UsageError(`--role must be member or admin, got "${role}"`);
      const { addMember } = await import("../lib/members/membership");
      const { parsePlatformIdentity } = await import("../lib/identity/platform");
      return addMember({
        workspaceId: uuid(o.workspace, "workspace"),
        identity: parsePlatformIdentity(o.platform as string, o.id as string),
        displayName: o.name as string | undefined,
        role,
        actor: ACTOR,
      });
    },
  },
  {
    name: "member remove",
    options: { workspace: str, user: str },
    required: ["workspace", "user"],
    async run(o) {
      const { removeMember } = await import("../lib/flows/member-removal");
      return removeMember({ workspaceId: uuid(o.workspace, "workspace"), userId: uuid(o.user, "user"), acting: "operator", actor: ACTOR });
    },
  },
  {
    name: "member role",
    options: { workspace: str, user: str, role: str },
    required: ["workspace", "user", "role"],
    async run(o) {
      const { isRole } = await import("../lib/members/roles");
      const { changeMemberRole } = await import("../lib/flows/member-removal");
      if (!isRole(o.role)) throw new UsageError(`--role must be owner, admin or member, got "${String(o.role)}"`);
      return changeMemberRole({ workspaceId: uuid(o.workspace, "workspace"), userId: uuid(o.user, "user"), role: o.role, acting: "operator", actor: ACTOR });
    },
  },
  {
    name: "member list",
    options: { workspace: str },
    required: ["workspace"],
    async run(o) {
      const { listMembers } = await import("../lib/members/roles");
      const members = await listMembers({ workspaceId: uuid(o.workspace, "workspace") });
      return { members: members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })) };
    },
  },
  {
    name: "link admin",
    options: { workspace: str, platform: str, id: str },
    required: ["workspace", "platform", "id"],
    async run(o) {
      const { createAdminLinkFor } = await import("../lib/links/for-identity");
      const { parsePlatformIdentity } = await import("../lib/identity/platform");
      const link = await createAdminLinkFor({
        workspaceId: uuid(o.workspace, "workspace"),
        identity: parsePlatformIdentity(o.platform as string, o.id as string),
        actor: ACTOR,
      });
      return { url: link.url, expiresAt: link.expiresAt.toISOString() };
    },
  },
  {
    name: "link settings",
    options: { workspace: str, platform: str, id: str },
    required: ["workspace", "platform", "id"],
    async run(o) {
      const { createSettingsLinkFor } = await import("../lib/links/for-identity");
      const { parsePlatformIdentity } = await import("../lib/identity/platform");
      const link = await createSettingsLinkFor({
        workspaceId: uuid(o.workspace, "workspace"),
        identity: parsePlatformIdentity(o.platform as string, o.id as string),
        actor: ACTOR,
      });
      return { url: link.url, expiresAt: link.expiresAt.toISOString() };
    },
  },
  {
    name: "token issue",
    options: { workspace: str, kind: str, name: str, ttl: str },
    required: ["workspace", "kind"],
    async run(o) {
      if (o.kind !== "service") throw new UsageError(`--kind must be service (job tokens come with their job), got "${String(o.kind)}"`);
      const ttl = o.ttl === undefined ? undefined : Number(o.ttl);
      if (ttl !== undefined && !Number.isInteger(ttl)) throw new UsageError(`--ttl must be a whole number of seconds, got "${String(o.ttl)}"`);
      const { issueServiceToken } = await import("../lib/tokens/registry");
      const issued = await issueServiceToken({ workspaceId: uuid(o.workspace, "workspace"), name: o.name as string | undefined, ttlSeconds: ttl, actor: ACTOR });
      return { tokenId: issued.tokenId, token: issued.token, expiresAt: issued.expiresAt.toISOString() };
    },
  },
  {
    name: "token revoke",
    options: { id: str },
    required: ["id"],
    async run(o) {
      const { revokeToken } = await import("../lib/jobs/job-tokens");
      return revokeToken({ tokenId: uuid(o.id, "id"), actor: ACTOR });
    },
  },
  {
    name: "invite create",
    options: { workspace: str, label: str, role: str, "max-uses": str, "expires-in": str },
    required: ["workspace"],
    async run(o) {
      const role = (o.role as string | undefined) ?? "member";
      if (role !== "member" && role !== "admin") throw new UsageError(`--role must be member or admin, got "${role}"`);
      const { createInvite } = await import("../lib/invites/manage");
      const invite = await createInvite({
        workspaceId: uuid(o.workspace, "workspace"),
        label: o.label as string | undefined,
        role,
        maxUses: wholeNumber(o["max-uses"], "max-uses"),
        expiresInSeconds: wholeNumber(o["expires-in"], "expires-in"),
        acting: "operator",
        actor: ACTOR,
      });
      return { inviteId: invite.inviteId, code: invite.code, expiresAt: invite.expiresAt.toISOString() };
    },
  },
  {
    name: "invite list",
    options: { workspace: str },
    required: ["workspace"],
    async run(o) {
      const { listInvites } = await import("../lib/invites/manage");
      const invites = await listInvites({ workspaceId: uuid(o.workspace, "workspace") });
      return {
        invites: invites.map((i) => ({
          ...i,
          expiresAt: i.expiresAt.toISOString(),
          revokedAt: i.revokedAt?.toISOString() ?? null,
          createdAt: i.createdAt.toISOString(),
          redemptions: i.redemptions.map((r) => ({ ...r, at: r.at.toISOString() })),
        })),
      };
    },
  },
  {
    name: "invite revoke",
    options: { id: str },
    required: ["id"],
    async run(o) {
      const { revokeInvite } = await import("../lib/invites/manage");
      return revokeInvite({ inviteId: uuid(o.id, "id"), acting: "operator", actor: ACTOR });
    },
  },
  {
    name: "provider add",
    options: {
      workspace: str,
      id: str,
      template: str,
      "client-id": str,
      "client-secret-stdin": { type: "boolean" },
      scopes: str,
      issuer: str,
      "auth-url": str,
      "token-url": str,
      "userinfo-url": str,
      "revocation-url": str,
      "mcp-server": str,
    },
    required: ["workspace", "id", "template", "client-id"],
    async run(o, io) {
      const workspaceId = uuid(o.workspace, "workspace");
      let clientSecret: string | undefined;
      if (o["client-secret-stdin"]) {
        if (!io.stdin) throw new UsageError("--client-secret-stdin cannot be used in batch (stdin holds the commands)");
        clientSecret = await io.stdin();
        if (clientSecret === "") throw new UsageError("--client-secret-stdin: stdin is empty");
      }
      const { addProvider } = await import("../lib/connections/providers");
      return addProvider({
        workspaceId,
        id: o.id,
        template: o.template,
        clientId: o["client-id"],
        clientSecret,
        scopes: o.scopes,
        issuer: o.issuer,
        authUrl: o["auth-url"],
        tokenUrl: o["token-url"],
        userinfoUrl: o["userinfo-url"],
        revocationUrl: o["revocation-url"],
        mcpServer: o["mcp-server"],
        actor: ACTOR,
      });
    },
  },
  {
    name: "provider list",
    options: { workspace: str },
    required: ["workspace"],
    async run(o) {
      const workspaceId = uuid(o.workspace, "workspace");
      const { listProviders } = await import("../lib/connections/providers");
      const providers = await listProviders({ workspaceId });
      return { providers: providers.map((p) => ({ ...p, createdAt: p.createdAt.toISOString() })) };
    },
  },
  {
    name: "provider remove",
    options: { workspace: str, id: str },
    required: ["workspace", "id"],
    async run(o) {
      const { removeProviderAndConnections } = await import("../lib/connections/provider-removal");
      return removeProviderAndConnections({ workspaceId: uuid(o.workspace, "workspace"), id: o.id, actor: ACTOR });
    },
  },
  {
    name: "keys rotate",
    options: {},
    required: [],
    async run() {
      const { reencryptAll } = await import("../lib/flows/master-keys");
      const result = await reencryptAll();
      if (result.failed > 0) {
        process.exitCode = 1;
        process.stderr.write(`warning: ${result.failed} secret(s) could not be opened with any configured key and were left as they are\n`);
      }
      return result;
    },
  },
  ...auditCommands,
];

function humanize(result: Record<string, unknown>) {
  return Object.entries(result)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join("\n");
}

const MAX_STDIN_BYTES = 8192;

/** The whole of stdin, without one trailing newline (as `printf '%s\n'` or a heredoc leaves it). */
async function readStdin(): Promise<string> {
  // Typed at a terminal, it would be echoed to the screen and its scrollback: it must be piped in.
  if (process.stdin.isTTY) throw new UsageError("--client-secret-stdin reads a pipe, not a terminal: printf '%s' \"$SECRET\" | npm run -s gatehouse -- provider add …");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new UsageError(`stdin is longer than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Chunk by chunk, waiting for 'drain' when the pipe is full; a closed pipe (`| head`) ends it as an error. */
async function streamToStdout(chunks: AsyncIterable<string>) {
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken ??= err;
  };
  process.stdout.on("error", onError);
  try {
    for await (const chunk of chunks) {
      if (broken) throw broken;
      if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
    }
    if (broken) throw broken;
  } finally {
    process.stdout.removeListener("error", onError);
  }
}

const stdio: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), stdin: readStdin, stream: streamToStdout };

/** One command; the caller closes the clients. */
async function runCommand(argv: string[], io: Io): Promise<number> {
  const asJson = argv.includes("--json");
  // Once a command has streamed output to stdout, an error goes to stderr only: stdout is its data.
  let streamed = false;
  const emit = (obj: Record<string, unknown>, human: string, stream: "out" | "err" = "out") => {
    if (asJson && !streamed) io.out(`${JSON.stringify(obj)}\n`);
    else io[streamed ? "err" : stream](`${human}\n`);
  };
  const fail = (code: string, message: string, exit: number) => {
    emit({ error: { code, message } }, `error: ${message}`, "err");
    if (asJson) io.err(`error: ${message}\n`);
    return exit;
  };

  // Asked for, the usage is the answer (stdout, 0); given instead of an answer, it is an error (stderr, 2).
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const words = argv.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ");
  const command = commands.find((c) => c.name === words);
  if (!command) {
    if (!asJson) io.err(`${USAGE}\n`);
    return argv.length === 0 ? 2 : fail("usage", `unknown command "${words}"; see --help`, 2);
  }
  let values: Options;
  try {
    let positionals: string[];
    ({ values, positionals } = parseArgs({
      args: argv.filter((a) => a !== "--json"),
      options: command.options,
      allowPositionals: true,
      strict: true,
    }));
    // Only the command's own words: a stray word is a mistake (or a secret typed where no secret belongs).
    if (positionals.length > command.name.split(" ").length) throw new UsageError("unexpected argument; every value goes after its --option");
    const missing = command.required.filter((r) => values[r] === undefined || values[r] === "");
    if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(", ")}`);
  } catch (err) {
    if (!asJson) io.err(`${USAGE}\n\n`);
    return fail("usage", `${command.name}: ${(err as Error).message}`, 2);
  }

  const { ConfigError, parseConfig } = await import("../lib/config");
  process.exitCode = undefined;
  // The first chunk is pulled before anything is written, so an error up front is still the one JSON answer.
  const commandIo: Io = io.stream
    ? {
        ...io,
        stream: async (chunks) => {
          const it = chunks[Symbol.asyncIterator]();
          const first = await it.next();
          if (first.done) return;
          streamed = true;
          async function* all() {
            yield first.value as string;
            for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
          }
          await io.stream!(all());
        },
      }
    : io;
  try {
    if (!command.offline?.(values)) {
      loadLocalEnv();
      parseConfig(process.env);
    }
    const result = await command.run(values, commandIo);
    if (result === STREAMED) return process.exitCode === 1 ? 1 : 0;
    emit(result, humanize(result));
    return process.exitCode === 1 ? 1 : 0;
  } catch (err) {
    const { AppError } = await import("../lib/errors");
    if (err instanceof UsageError) return fail("usage", `${command.name}: ${err.message}`, 2);
    if (err instanceof ConfigError) return fail("config_invalid", err.message, 1);
    if (err instanceof AppError) return fail(err.code, err.message, 1);
    const { isInfrastructureError } = await import("../lib/errors");
    if (isInfrastructureError(err)) return fail("unavailable", "cannot reach the database or Redis; check DATABASE_URL and REDIS_URL", 1);
    const { redact } = await import("../lib/log");
    return fail("internal_error", `unexpected error: ${redact(String((err as Error).message))}`, 1);
  }
}

/** `batch`: commands from stdin, one at a time, on the same database and Redis connections. */
async function batch(): Promise<number> {
  const { createInterface } = await import("node:readline");
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let args: unknown;
    try {
      args = JSON.parse(line);
    } catch {
      args = null;
    }
    const usage = (message: string) => process.stdout.write(`${JSON.stringify({ exit: 2, output: { error: { code: "usage", message } } })}\n`);
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string") || args.includes("batch")) {
      usage("each line must be a JSON array of a command's arguments, e.g. [\"audit\",\"verify\"]");
      continue;
    }
    if (args.includes("--help") || args.includes("-h")) {
      usage("--help is not a command; run `gatehouse --help`");
      continue;
    }
    let out = "";
    // No stdin for the command: it holds the commands.
    const exit = await runCommand([...args.filter((a) => a !== "--json"), "--json"], { out: (t) => (out += t), err: stdio.err });
    let output: unknown;
    try {
      output = JSON.parse(out.trim() || "{}");
    } catch {
      output = { error: { code: "internal_error", message: "the command printed something other than one JSON object" } };
    }
    process.stdout.write(`${JSON.stringify({ exit, output })}\n`);
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  try {
    return argv[0] === "batch" && !argv.includes("--help") ? await batch() : await runCommand(argv, stdio);
  } finally {
    const { closeLazyClients } = await import("../lib/lazy");
    await closeLazyClients();
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
