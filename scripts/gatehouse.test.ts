// The operator CLI end to end: real process, real database, exactly one JSON object with --json.
import { afterAll, describe, expect, it } from "vitest";
import { providerClientSecret } from "@/lib/connections/providers";
import { db } from "@/lib/db/client";
import { closeLazyClients } from "@/lib/lazy";
import { makeWorkspace, randomName, randomTelegramId } from "@/test/factories";
import { runCli } from "@/test/run-script";

afterAll(closeLazyClients);

type CliJson = { workspaceId: string; ownerUserId: string; userId: string; url: string; expiresAt: string; error: { code: string; message: string }; [key: string]: unknown };

async function cli(...args: string[]) {
  return cliWithStdin(undefined, ...args);
}

async function cliWithStdin(stdin: string | undefined, ...args: string[]) {
  const r = await runCli([...args, "--json"], {}, stdin);
  const lines = r.stdout.trim().split("\n");
  expect(lines, `stdout must be exactly one JSON line:\n${r.stdout}\n${r.stderr}`).toHaveLength(1);
  return { code: r.code, json: JSON.parse(lines[0]!) as CliJson, stderr: r.stderr };
}

describe("gatehouse CLI", () => {
  it("creates a workspace, adds and removes members, and every change is audited and verifies", async () => {
    const ownerId = randomTelegramId();
    const created = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerId, "--owner-name", "Olga");
    expect(created.code).toBe(0);
    expect(created.json).toEqual({ workspaceId: expect.any(String), ownerUserId: expect.any(String) });
    const { workspaceId, ownerUserId } = created.json;

    const added = await cli("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", randomTelegramId(), "--name", "Max", "--role", "admin");
    expect(added).toMatchObject({ code: 0, json: { userId: expect.any(String) } });
    const membership = await db.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId: added.json.userId } } });
    expect(membership?.role).toBe("admin");

    const again = await cli("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", ownerId);
    expect(again.code).toBe(1);
    expect(again.json.error.code).toBe("already_member");

    const removed = await cli("member", "remove", "--workspace", workspaceId, "--user", added.json.userId);
    expect(removed).toMatchObject({ code: 0, json: { removed: true } });
    const lastOwner = await cli("member", "remove", "--workspace", workspaceId, "--user", ownerUserId);
    expect(lastOwner).toMatchObject({ code: 1, json: { error: { code: "last_owner" } } });

    const actions = await db.auditEvent.findMany({ where: { workspaceId }, orderBy: { seq: "asc" }, select: { action: true, actorType: true, actorId: true } });
    expect(actions.map((a) => a.action)).toEqual(["workspace.created", "member.added", "member.added", "member.removed"]);
    expect(actions.every((a) => a.actorType === "system" && a.actorId === "cli")).toBe(true);

    const verified = await cli("audit", "verify", "--workspace", workspaceId);
    expect(verified).toMatchObject({ code: 0, json: { ok: true, events: 4 } });
  });

  it("member role and member list: owner, admin, member; the last owner keeps the role; a bad role is a usage error", async () => {
    const ownerId = randomTelegramId();
    const { workspaceId, ownerUserId } = (await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerId, "--owner-name", "Olga")).json;
    const memberId = randomTelegramId();
    const { userId } = (await cli("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", memberId, "--name", "Max")).json;
    expect(await cli("member", "role", "--workspace", workspaceId, "--user", userId, "--role", "admin")).toMatchObject({ code: 0, json: { userId, role: "admin" } });
    const demote = await cli("member", "role", "--workspace", workspaceId, "--user", ownerUserId, "--role", "member");
    expect(demote.code).toBe(1);
    expect(demote.json.error.code).toBe("last_owner");
    const bad = await cli("member", "role", "--workspace", workspaceId, "--user", userId, "--role", "superuser");
    expect(bad.code).toBe(2);
    const list = await cli("member", "list", "--workspace", workspaceId);
    expect(list.code).toBe(0);
    expect(list.json.members).toEqual([
      { userId: ownerUserId, name: "Olga", role: "owner", joinedAt: expect.any(String), identities: [`telegram:${ownerId}`] },
      { userId, name: "Max", role: "admin", joinedAt: expect.any(String), identities: [`telegram:${memberId}`] },
    ]);
  });

  it("reuses the user behind a known identity when they join a second workspace", async () => {
    const personId = randomTelegramId();
    const a = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", personId);
    const b = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", randomTelegramId());
    const joined = await cli("member", "add", "--workspace", b.json.workspaceId, "--platform", "telegram", "--id", personId);
    expect(joined.json.userId).toBe(a.json.ownerUserId);
  });

  it.each([
    [["workspace", "create", "--name", "x"], "missing --owner-platform, --owner-id"],
    [["workspace", "create", "--name", "x", "--owner-platform", "myspace", "--owner-id", "1"], "Unknown platform"],
    [["workspace", "create", "--name", "x", "--owner-platform", "telegram", "--owner-id", "12abc"], "numeric Telegram user id"],
    [["member", "add", "--workspace", "not-a-uuid", "--platform", "telegram", "--id", "1"], "--workspace must be an id"],
    [["member", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--platform", "telegram", "--id", "5", "--role", "owner"], "--role must be member or admin"],
    [["member", "remove", "--workspace", "00000000-0000-4000-8000-000000000000"], "missing --user"],
    [["member", "frobnicate"], "unknown command"],
    [["workspace", "create", "--bogus", "1"], "Unknown option"],
  ])("rejects %j with a clear message and a non-zero exit", async (args, message) => {
    const r = await cli(...args);
    expect(r.code).not.toBe(0);
    expect(r.json.error.message).toContain(message);
  });

  it("answers --help with the usage on stdout and exit 0, and no arguments with the usage on stderr and exit 2", async () => {
    for (const args of [["--help"], ["-h"], ["token", "issue", "--help"]]) {
      const r = await runCli(args);
      expect(r, args.join(" ")).toMatchObject({ code: 0, stderr: "" });
      expect(r.stdout).toContain("Usage: npm run -s gatehouse -- <command>");
      expect(r.stdout).toContain("audit verify");
      expect(r.stdout).toContain("audit verify     --file F --public-key K");
      expect(r.stdout).toContain("audit export     --workspace W [--format ndjson|csv]");
      expect(r.stdout).toContain("audit public-key");
      expect(r.stdout).toContain("provider add     --workspace W --id ID --template T --client-id C [--client-secret-stdin]");
      expect(r.stdout).toContain("[--mcp-server URL]");
      expect(r.stdout).toContain("invite create    --workspace W [--label L] [--role member|admin] [--max-uses N] [--expires-in SECONDS]");
      expect(r.stdout).toContain("invite revoke    --id INVITE_ID");
    }
    const bare = await runCli([]);
    expect(bare).toMatchObject({ code: 2, stdout: "" });
    expect(bare.stderr).toContain("Usage:");
  });

  it("batch answers each line with one JSON line, bad lines and --help included, on one process", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["scripts/cli.mjs", "batch"], { env: process.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const lines = [
      JSON.stringify(["workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", randomTelegramId()]),
      "not json",
      JSON.stringify(["token", "issue", "--help"]),
      JSON.stringify(["batch"]),
      JSON.stringify(["member", "frobnicate"]),
      JSON.stringify(["audit", "verify", "--workspace", "00000000-0000-4000-8000-000000000000"]),
    ];
    child.stdin.end(`${lines.join("\n")}\n`);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
    const answers = out.trim().split("\n").map((l) => JSON.parse(l) as { exit: number; output: CliJson });
    expect(answers.map((a) => a.exit)).toEqual([0, 2, 2, 2, 2, 1]);
    expect(answers[0]!.output.workspaceId).toEqual(expect.any(String));
    expect(answers.slice(1, 5).map((a) => a.output.error.code)).toEqual(["usage", "usage", "usage", "usage"]);
    expect(answers[5]!.output.error.code).toBe("not_found");
  });

  it("loads no package for --help: the bundle is split, so a command pays only for what it uses", async () => {
    const { readFileSync } = await import("node:fs");
    const path = await import("node:path");
    const dir = path.join(process.cwd(), ".gatehouse/cli", readFileSync(path.join(process.cwd(), ".gatehouse/cli/current"), "utf8").trim());
    const entry = readFileSync(path.join(dir, "gatehouse.mjs"), "utf8");
    // Static imports of the entry (and of what it statically imports) are only node: built-ins and its own chunks.
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(path.join(dir, file), "utf8");
      for (const m of text.matchAll(/^import\s[^"']*["']([^"']+)["']/gm)) {
        const spec = m[1]!;
        if (spec.startsWith("./")) visit(spec.slice(2));
        else expect(spec, `${file} imports ${spec} at load`).toMatch(/^node:/);
      }
    };
    expect(entry.length).toBeGreaterThan(0);
    visit("gatehouse.mjs");
  });

  it("prints a one-time settings link for a member, and refuses non-members", async () => {
    const ownerId = randomTelegramId();
    const ws = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerId);
    const link = await cli("link", "settings", "--workspace", ws.json.workspaceId, "--platform", "telegram", "--id", ownerId);
    expect(link.code).toBe(0);
    expect(link.json.url).toMatch(/^http:\/\/localhost:3000\/settings\?s=[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(link.json.expiresAt as string) - Date.now()).toBeGreaterThan(800_000);
    const id = new URL(link.json.url as string).searchParams.get("s")!;
    const rows = await db.auditEvent.findMany({ where: { workspaceId: ws.json.workspaceId }, omit: { id: true } });
    expect(rows.map((r) => r.action)).toContain("link.created");
    expect(JSON.stringify(rows)).not.toContain(id);
    const stranger = await cli("link", "settings", "--workspace", ws.json.workspaceId, "--platform", "telegram", "--id", randomTelegramId());
    expect(stranger).toMatchObject({ code: 1, json: { error: { code: "not_a_member" } } });
  });

  it("adds a provider with its client secret from stdin, lists it without the secret, and removes it", async () => {
    const { workspaceId } = await makeWorkspace();
    const secret = "cli-secret-9f8e7d6c5b4a";
    const gh = await cliWithStdin(`${secret}\n`, "provider", "add", "--workspace", workspaceId, "--id", "github", "--template", "github", "--client-id", "Iv1.cli", "--client-secret-stdin", "--scopes", "repo read:org");
    expect(gh, gh.stderr).toMatchObject({ code: 0, json: { providerId: "github" } });
    expect(gh.stderr).not.toContain(secret);
    const google = await cli("provider", "add", "--workspace", workspaceId, "--id", "google", "--template", "google", "--client-id", "1.apps.googleusercontent.com");
    expect(google).toMatchObject({ code: 0, json: { providerId: "google" } });
    expect(await providerClientSecret({ workspaceId, providerId: "github" })).toBe(secret);

    const listed = await cli("provider", "list", "--workspace", workspaceId);
    expect(listed.code).toBe(0);
    expect(listed.json.providers).toEqual([
      expect.objectContaining({ id: "github", template: "github", clientId: "Iv1.cli", hasClientSecret: true, scopes: ["repo", "read:org"] }),
      expect.objectContaining({ id: "google", template: "google", hasClientSecret: false, scopes: ["openid", "email", "profile"] }),
    ]);
    expect(JSON.stringify(listed.json)).not.toContain(secret);

    const dup = await cli("provider", "add", "--workspace", workspaceId, "--id", "github", "--template", "github", "--client-id", "x");
    expect(dup).toMatchObject({ code: 1, json: { error: { code: "conflict" } } });
    const removed = await cli("provider", "remove", "--workspace", workspaceId, "--id", "github");
    expect(removed).toMatchObject({ code: 0, json: { removed: true } });
    const again = await cli("provider", "remove", "--workspace", workspaceId, "--id", "github");
    expect(again).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
    expect((await cli("provider", "list", "--workspace", workspaceId)).json.providers).toEqual([expect.objectContaining({ id: "google" })]);

    const events = await db.auditEvent.findMany({ where: { workspaceId, action: { startsWith: "provider." } }, orderBy: { seq: "asc" }, omit: { id: true } });
    expect(events.map((e) => [e.action, e.actorType, e.actorId])).toEqual([
      ["provider.added", "system", "cli"],
      ["provider.added", "system", "cli"],
      ["provider.removed", "system", "cli"],
    ]);
    expect(JSON.stringify(events)).not.toContain(secret);
  });

  it("provider add --mcp-server pre-registers a generic client for one MCP server, listed and audited; a named template is refused", async () => {
    const { workspaceId } = await makeWorkspace();
    const server = "https://mcp.example.com/mcp";
    const base = ["provider", "add", "--workspace", workspaceId, "--template", "generic-oidc", "--issuer", "https://auth.mcp.example.com", "--client-id", "gh-mcp", "--scopes", "openid"];
    const added = await cli(...base, "--id", "mcp-example", "--mcp-server", server);
    expect(added, added.stderr).toMatchObject({ code: 0, json: { providerId: "mcp-example" } });
    const listed = await cli("provider", "list", "--workspace", workspaceId);
    expect(listed.json.providers).toEqual([expect.objectContaining({ id: "mcp-example", template: "generic-oidc", issuer: "https://auth.mcp.example.com", mcpServer: server })]);
    const event = await db.auditEvent.findFirstOrThrow({ where: { workspaceId, action: "provider.added" } });
    expect(event.data).toMatchObject({ id: "mcp-example", mcpServer: server });

    const dup = await cli(...base, "--id", "mcp-twice", "--mcp-server", server);
    expect(dup).toMatchObject({ code: 1, json: { error: { code: "conflict" } } });
    expect(dup.json.error.message).toContain("pre-registered for this MCP server");
    const named = await cli("provider", "add", "--workspace", workspaceId, "--id", "google", "--template", "google", "--client-id", "1.apps.googleusercontent.com", "--mcp-server", server);
    expect(named).toMatchObject({ code: 1, json: { error: { code: "validation_failed" } } });
    expect(named.json.error.message).toContain("cannot be pre-registered for an MCP server");
    const http = await cli(...base, "--id", "mcp-http", "--mcp-server", "http://mcp.example.com/mcp");
    expect(http).toMatchObject({ code: 1, json: { error: { code: "validation_failed" } } });
    const bare = await cli(...base, "--id", "mcp-bare", "--mcp-server");
    expect(bare).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect((await cli("provider", "list", "--workspace", workspaceId)).json.providers).toHaveLength(1);
  });

  it.each([
    [["provider", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--id", "gh", "--template", "github"], 2, "usage", "missing --client-id"],
    [["provider", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--id", "gh", "--template", "github", "--client-id", "c", "--client-secret", "s"], 2, "usage", "Unknown option '--client-secret'"],
    [["provider", "add", "--workspace", "nope", "--id", "gh", "--template", "github", "--client-id", "c"], 2, "usage", "--workspace must be an id"],
    [["provider", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--id", "gh", "--template", "gitlab", "--client-id", "c"], 1, "validation_failed", "Unknown template"],
    [["provider", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--id", "oidc", "--template", "generic-oidc", "--client-id", "c"], 1, "validation_failed", "needs the issuer"],
    [["provider", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--id", "gh", "--template", "github", "--client-id", "c"], 1, "not_found", "No such workspace"],
    [["provider", "list", "--workspace", "00000000-0000-4000-8000-000000000000"], 1, "not_found", "No such workspace"],
    [["provider", "remove", "--workspace", "00000000-0000-4000-8000-000000000000"], 2, "usage", "missing --id"],
  ])("provider: rejects %j", async (args, code, errorCode, message) => {
    const r = await cli(...args);
    expect(r).toMatchObject({ code, json: { error: { code: errorCode } } });
    expect(r.json.error.message).toContain(message);
  });

  it("provider add refuses an empty stdin secret, and --client-secret-stdin in batch", async () => {
    const { workspaceId } = await makeWorkspace();
    const args = ["provider", "add", "--workspace", workspaceId, "--id", "gh", "--template", "github", "--client-id", "c", "--client-secret-stdin"];
    const empty = await cliWithStdin("\n", ...args);
    expect(empty).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect(empty.json.error.message).toContain("stdin is empty");
    // A value typed where no value belongs (say, the secret itself) is refused, never ignored.
    const stray = await cliWithStdin("s3cret\n", ...args, "s3cret-typed-too");
    expect(stray).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect(stray.json.error.message).toContain("unexpected argument");
    expect(JSON.stringify(stray.json)).not.toContain("s3cret");

    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["scripts/cli.mjs", "batch"], { env: process.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stdin.end(`${JSON.stringify(args)}\nsecret-on-the-next-line\n`);
    await new Promise((resolve) => child.on("close", resolve));
    const [first] = out.trim().split("\n").map((l) => JSON.parse(l) as { exit: number; output: CliJson });
    expect(first).toMatchObject({ exit: 2, output: { error: { code: "usage" } } });
    expect(first!.output.error.message).toContain("cannot be used in batch");
    expect(await db.provider.count({ where: { workspaceId } })).toBe(0);
  });

  it("audit export streams NDJSON that audit verify --file checks offline with the key audit public-key prints", async () => {
    const { mkdtemp, writeFile, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { workspaceId } = await makeWorkspace();
    expect(await cli("audit", "checkpoint", "--workspace", workspaceId)).toMatchObject({ code: 0, json: { signed: true, seq: 2 } });
    expect(await cli("audit", "checkpoint", "--workspace", workspaceId)).toMatchObject({ code: 0, json: { signed: false } });
    expect(await cli("audit", "checkpoint", "--workspace", "00000000-0000-4000-8000-000000000000")).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
    await cli("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", randomTelegramId());

    const key = await cli("audit", "public-key");
    expect(key).toMatchObject({ code: 0, json: { publicKey: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/), keyId: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    const exported = await runCli(["audit", "export", "--workspace", workspaceId]);
    expect(exported, exported.stderr).toMatchObject({ code: 0, stderr: "" });
    const lines = exported.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(["header", "event", "event", "checkpoint", "event", "footer"]);

    const dir = await mkdtemp(path.join(tmpdir(), "gh-cli-audit-"));
    try {
      const file = path.join(dir, "audit.ndjson");
      await writeFile(file, exported.stdout);
      // Offline: no reachable database, and a production environment with none of its secrets.
      const offline = { DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none", REDIS_URL: "redis://127.0.0.1:1", NODE_ENV: "production", GATEHOUSE_AUDIT_SIGNING_KEY: "", GATEHOUSE_MASTER_KEYS: "", AUTH_SECRET: "" };
      const verify = (f: string, k = key.json.publicKey as string) => runCli(["audit", "verify", "--file", f, "--public-key", k, "--json"], offline);
      const ok = await verify(file);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout)).toEqual({ ok: true, workspaceId, events: 3, checkpoints: 1, signedThrough: 2, unsignedTail: 1, keyId: key.json.keyId });

      const tampered = path.join(dir, "tampered.ndjson");
      await writeFile(tampered, exported.stdout.replace('"member.added"', '"member.removed"'));
      const bad = await verify(tampered);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, brokenAt: 2, reason: "chain_broken" });

      const { generateKeyPairSync } = await import("node:crypto");
      const stranger = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).toString("base64");
      expect(JSON.parse((await verify(file, stranger)).stdout)).toMatchObject({ ok: false, brokenAt: 2, reason: "checkpoint_unknown_key" });
      const garbage = await verify(file, "not-a-key");
      expect(garbage).toMatchObject({ code: 2 });
      expect(JSON.parse(garbage.stdout)).toMatchObject({ error: { code: "usage" } });
      expect(JSON.parse((await verify(path.join(dir, "missing.ndjson"))).stdout)).toMatchObject({ error: { code: "usage" } });

      // What the file alone cannot show: the checkpoints kept from GET /api/v1/audit/checkpoints, and the workspace.
      const { listCheckpoints } = await import("@/lib/audit/checkpoint-list");
      const keptFile = path.join(dir, "kept.json");
      await writeFile(keptFile, JSON.stringify(await listCheckpoints({ workspaceId })));
      const withKept = (f: string, ...more: string[]) => runCli(["audit", "verify", "--file", f, "--public-key", key.json.publicKey as string, "--checkpoints", keptFile, ...more, "--json"], offline);
      const held = await withKept(file, "--workspace", workspaceId);
      expect(held.code, held.stderr).toBe(0);
      expect(JSON.parse(held.stdout)).toEqual({ ok: true, workspaceId, events: 3, checkpoints: 1, signedThrough: 2, unsignedTail: 1, keyId: key.json.keyId, keptCheckpoints: 1 });
      // The checkpoint line dropped and the footer made to add up: the file alone is consistent, and signs nothing.
      const stripped = path.join(dir, "stripped.ndjson");
      await writeFile(stripped, exported.stdout.split("\n").filter((l) => !l.includes('"type":"checkpoint"')).join("\n").replace('"checkpoints":1', '"checkpoints":0'));
      expect(JSON.parse((await verify(stripped)).stdout)).toMatchObject({ ok: true, warning: "no_checkpoints", signedThrough: 0, unsignedTail: 3 });
      const caught = await withKept(stripped);
      expect(caught.code).toBe(1);
      expect(JSON.parse(caught.stdout)).toMatchObject({ ok: false, reason: "kept_checkpoint_missing", brokenAt: 2, keptCheckpoints: 1 });
      const elsewhere = await runCli(["audit", "verify", "--file", file, "--public-key", key.json.publicKey as string, "--workspace", "00000000-0000-4000-8000-000000000000", "--json"], offline);
      expect(elsewhere.code).toBe(1);
      expect(JSON.parse(elsewhere.stdout)).toMatchObject({ ok: false, reason: "workspace_mismatch", workspaceId, line: 1 });
      expect(JSON.parse((await withKept(file, "--workspace", "nope")).stdout)).toMatchObject({ error: { code: "usage", message: expect.stringContaining("--workspace") } });
      await writeFile(keptFile, "not json");
      const badKept = await withKept(file);
      expect(badKept.code).toBe(2);
      expect(JSON.parse(badKept.stdout)).toMatchObject({ error: { code: "usage", message: expect.stringContaining("--checkpoints") } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const csv = await runCli(["audit", "export", "--workspace", workspaceId, "--format", "csv"]);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split("\r\n")[0]).toBe("workspace_id,seq,time,actor_type,actor_id,action,target,ip,data,prev_hash,hash");
    expect(csv.stdout.split("\r\n")).toHaveLength(1 + 3 + 1);
  });

  it("audit export answers errors as one JSON object, and refuses batch and a bad format", async () => {
    expect(await cli("audit", "export", "--workspace", "00000000-0000-4000-8000-000000000000")).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
    expect(await cli("audit", "export", "--workspace", "00000000-0000-4000-8000-000000000000", "--format", "xml")).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect(await cli("audit", "verify", "--workspace", "00000000-0000-4000-8000-000000000000", "--public-key", "x")).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect(await cli("audit", "verify", "--file", "/nonexistent")).toMatchObject({ code: 2, json: { error: { message: expect.stringContaining("--public-key") } } });
    expect(await cli("audit", "verify", "--workspace", "00000000-0000-4000-8000-000000000000", "--checkpoints", "kept.json")).toMatchObject({ code: 2, json: { error: { code: "usage", message: expect.stringContaining("--checkpoints") } } });
    const noKey = await runCli(["audit", "public-key", "--json"], { GATEHOUSE_AUDIT_SIGNING_KEY: "" });
    expect(noKey.code).toBe(1);
    expect(JSON.parse(noKey.stdout)).toMatchObject({ error: { code: "config_invalid", message: expect.stringContaining("GATEHOUSE_AUDIT_SIGNING_KEY") } });

    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["scripts/cli.mjs", "batch"], { env: process.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stdin.end(`${JSON.stringify(["audit", "export", "--workspace", "00000000-0000-4000-8000-000000000000"])}\n`);
    await new Promise((resolve) => child.on("close", resolve));
    expect(JSON.parse(out.trim())).toMatchObject({ exit: 2, output: { error: { code: "usage", message: expect.stringContaining("cannot run in batch") } } });
  });

  it("reports an unknown workspace to audit verify as not found", async () => {
    const r = await cli("audit", "verify", "--workspace", "00000000-0000-4000-8000-000000000000");
    expect(r).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
  });

  it("reports a missing workspace as not found, not a crash", async () => {
    const r = await cli("member", "add", "--workspace", "00000000-0000-4000-8000-000000000000", "--platform", "telegram", "--id", randomTelegramId());
    expect(r).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
  });

  it("exits non-zero and names the broken seq when verification fails", async () => {
    const created = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", randomTelegramId());
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    await client.query("BEGIN; SET LOCAL session_replication_role = replica;");
    await client.query("UPDATE audit_events SET target = 'x' WHERE workspace_id = $1 AND seq = 2", [created.json.workspaceId]);
    await client.query("COMMIT");
    await client.end();
    const r = await cli("audit", "verify", "--workspace", created.json.workspaceId);
    expect(r).toMatchObject({ code: 1, json: { ok: false, brokenAt: 2, events: 1 } });
  });

  it("issues a service token that works and revokes it by id; job tokens cannot be issued by hand", async () => {
    const ws = await cli("workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", randomTelegramId());
    const issued = await cli("token", "issue", "--workspace", ws.json.workspaceId, "--kind", "service", "--name", "orchestrator", "--ttl", "600");
    expect(issued).toMatchObject({ code: 0, json: { tokenId: expect.any(String), token: expect.stringMatching(/^gh_svc_[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) } });
    const { authenticateServiceToken } = await import("@/lib/tokens/registry");
    expect(await authenticateServiceToken(issued.json.token as string)).toEqual({ tokenId: issued.json.tokenId, workspaceId: ws.json.workspaceId, expiresAt: new Date(issued.json.expiresAt as string) });
    expect(await cli("token", "revoke", "--id", issued.json.tokenId as string)).toMatchObject({ code: 0, json: { revoked: true } });
    await expect(authenticateServiceToken(issued.json.token as string)).rejects.toMatchObject({ code: "invalid_token" });
    const audit = await db.auditEvent.findMany({ where: { workspaceId: ws.json.workspaceId }, select: { action: true, data: true } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["token.issued", "token.revoked"]));
    expect(JSON.stringify(audit)).not.toContain(issued.json.token as string);

    expect(await cli("token", "issue", "--workspace", ws.json.workspaceId, "--kind", "job")).toMatchObject({ code: 2, json: { error: { code: "usage" } } });
    expect(await cli("token", "issue", "--workspace", ws.json.workspaceId, "--kind", "service", "--ttl", "5")).toMatchObject({ code: 1, json: { error: { code: "validation_failed" } } });
    expect(await cli("token", "revoke", "--id", "00000000-0000-4000-8000-000000000000")).toMatchObject({ code: 1, json: { error: { code: "not_found" } } });
  });
});

describe("gatehouse invite", () => {
  it("creates an invite (code once, hash stored), lists it with its redemptions, revokes it by id; all audited as the CLI", async () => {
    const { workspaceId } = await makeWorkspace();
    const created = await cli("invite", "create", "--workspace", workspaceId, "--label", "Spring cohort", "--role", "admin", "--max-uses", "3", "--expires-in", "3600");
    expect(created).toMatchObject({ code: 0, json: { inviteId: expect.any(String), code: expect.stringMatching(/^gh_inv_[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) } });
    const { inviteId, code } = created.json as unknown as { inviteId: string; code: string };
    const expiresIn = new Date(created.json.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(3500_000);
    expect(expiresIn).toBeLessThanOrEqual(3600_000);

    const { redeemInvite } = await import("@/lib/invites/redeem");
    const joiner = await redeemInvite({ workspaceId, code, user: { platform: "telegram", id: randomTelegramId(), name: "Joiner" }, ip: "10.99.0.1" });

    const list = await cli("invite", "list", "--workspace", workspaceId);
    expect(list.code).toBe(0);
    expect(list.json.invites).toEqual([
      {
        id: inviteId,
        label: "Spring cohort",
        role: "admin",
        uses: 1,
        maxUses: 3,
        expiresAt: created.json.expiresAt,
        revokedAt: null,
        createdAt: expect.any(String),
        state: "active",
        createdBy: null,
        redemptions: [{ userId: joiner.userId, name: "Joiner", at: expect.any(String) }],
      },
    ]);
    expect(list.stderr + JSON.stringify(list.json)).not.toContain(code.slice(7));

    expect(await cli("invite", "revoke", "--id", inviteId)).toMatchObject({ code: 0, json: { revoked: true } });
    expect(await cli("invite", "revoke", "--id", inviteId)).toMatchObject({ code: 0, json: { revoked: true } });
    expect((await db.invite.findUniqueOrThrow({ where: { id: inviteId } })).revokedAt).toBeInstanceOf(Date);

    const events = await db.auditEvent.findMany({ where: { workspaceId, action: { in: ["invite.created", "invite.revoked"] } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.actorType, e.actorId])).toEqual([
      ["invite.created", "system", "cli"],
      ["invite.revoked", "system", "cli"],
    ]);
    expect(JSON.stringify(events.map((e) => [e.target, e.data]))).not.toContain(code.slice(7));
    // Four processes in a row: on a loaded 2-core machine (the whole suite at once) that outgrows the default.
  }, 90_000);

  it("defaults to one member use for 7 days", async () => {
    const { workspaceId } = await makeWorkspace();
    const created = await cli("invite", "create", "--workspace", workspaceId);
    expect(created.code).toBe(0);
    const row = await db.invite.findUniqueOrThrow({ where: { id: created.json.inviteId as string } });
    expect(row).toMatchObject({ role: "member", maxUses: 1, label: "" });
    expect(row.expiresAt.toISOString()).toBe(created.json.expiresAt);
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThan(7 * 86400_000 - 5000);
  });

  it.each([
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000", "--role", "owner"], 2, "--role must be member or admin"],
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000", "--max-uses", "ten"], 2, "--max-uses must be a whole number"],
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000", "--expires-in", "1.5"], 2, "--expires-in must be a whole number"],
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000", "--max-uses", "1001"], 1, "use limit"],
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000", "--expires-in", "2592001"], 1, "30 days"],
    [["invite", "create", "--workspace", "00000000-0000-4000-8000-000000000000"], 1, "No such workspace"],
    [["invite", "list", "--workspace", "00000000-0000-4000-8000-000000000000"], 1, "No such workspace"],
    [["invite", "revoke", "--id", "00000000-0000-4000-8000-000000000000"], 1, "No invite has that id"],
    [["invite", "revoke", "--id", "nope"], 2, "--id must be an id"],
    [["invite", "revoke"], 2, "missing --id"],
  ])("rejects %j with exit %i and a clear message", async (args, exit, message) => {
    const r = await cli(...args);
    expect(r.code).toBe(exit);
    expect(r.json.error.message).toContain(message);
  });
});
