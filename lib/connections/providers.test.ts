// Provider configuration (SPEC §12): validation, the client secret sealed to (workspace, provider id) and never
// returned, audited without it, and every call confined to its workspace.
import { afterAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { getConfig } from "../config";
import { DecryptError, open, seal } from "../crypto/secret-box";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { addProvider, listProviders, providerClientSecret, providerExists, removeProvider, type AddProviderInput } from "./providers";

// Read once, when the configuration is first parsed: the local test provider's ports are the only http exceptions.
vi.stubEnv("GATEHOUSE_OUTBOUND_ALLOW", "127.0.0.1:9000,localhost:9000");
afterAll(async () => {
  await closeLazyClients();
  vi.unstubAllEnvs();
});

const actor = { type: "system" as const, id: "test" };
const SECRET = "gh-client-secret-Zq81xP0";

type Extra = Partial<Omit<AddProviderInput, "workspaceId" | "actor">>;
const add = (workspaceId: string, extra: Extra = {}) => addProvider({ workspaceId, id: "github", template: "github", clientId: "Iv1.abc", actor, ...extra });

describe("addProvider validation", () => {
  it.each<[string, Extra, string]>([
    ["an id with capitals", { id: "GitHub" }, "provider id"],
    ["an id starting with a digit", { id: "1gh" }, "provider id"],
    ["an id of 33 characters", { id: `a${"b".repeat(32)}` }, "provider id"],
    ["an id with an underscore", { id: "git_hub" }, "provider id"],
    ["an unknown template", { template: "gitlab" }, "Unknown template"],
    ["an empty client id", { clientId: "" }, "client id"],
    ["a client id with a space", { clientId: "a b" }, "client id"],
    ["github with an issuer", { issuer: "https://github.com" }, "takes no issuer"],
    ["google with a token URL", { template: "google", tokenUrl: "https://evil.example/token" }, "takes no token URL"],
    ["generic-oidc without issuer", { template: "generic-oidc" }, "needs the issuer"],
    ["generic-oidc with an auth URL", { template: "generic-oidc", issuer: "https://id.example", authUrl: "https://id.example/a" }, "takes no authorization URL"],
    ["generic-oauth2 without token URL", { template: "generic-oauth2", authUrl: "https://o.example/a" }, "needs the token URL"],
    ["generic-oauth2 with an issuer", { template: "generic-oauth2", authUrl: "https://o.example/a", tokenUrl: "https://o.example/t", issuer: "https://o.example" }, "takes no issuer"],
    ["an http URL to a public host", { template: "generic-oidc", issuer: "http://id.example" }, "must use https"],
    ["a javascript: URL", { template: "generic-oauth2", authUrl: "javascript:alert(1)", tokenUrl: "https://o.example/t" }, "must use https"],
    ["a URL with credentials", { template: "generic-oauth2", authUrl: "https://u:p@o.example/a", tokenUrl: "https://o.example/t" }, "credentials"],
    ["a URL with a fragment", { template: "generic-oauth2", authUrl: "https://o.example/a#x", tokenUrl: "https://o.example/t" }, "fragment"],
    ["an issuer with a query", { template: "generic-oidc", issuer: "https://id.example/?tenant=1" }, "query"],
    ["not a URL", { template: "generic-oidc", issuer: "id.example" }, "not a valid URL"],
    ["a scope with a quote", { scopes: 'repo "x' }, "not a valid scope"],
    ["an empty client secret", { clientSecret: "" }, "client secret"],
    ["a client secret with a newline", { clientSecret: "a\nb" }, "client secret"],
    ["http to a loopback port that is not an exception", { template: "generic-oauth2", authUrl: "http://127.0.0.1:9001/a", tokenUrl: "https://o.example/t" }, "must use https"],
    ["a private address literal", { template: "generic-oauth2", authUrl: "https://10.0.0.1/a", tokenUrl: "https://o.example/t" }, "private, loopback"],
    ["the metadata address", { template: "generic-oauth2", authUrl: "https://o.example/a", tokenUrl: "https://169.254.169.254/t" }, "private, loopback"],
    ["a token URL with a query", { template: "generic-oauth2", authUrl: "https://o.example/a", tokenUrl: "https://o.example/t?client_secret=s" }, "query"],
    ["an issuer the parser would rewrite", { template: "generic-oidc", issuer: "https:\\\\id.example" }, "backslashes"],
    ["an issuer with an empty query", { template: "generic-oidc", issuer: "https://id.example/?" }, "query"],
    ["an issuer not in canonical form", { template: "generic-oidc", issuer: "https://ID.example" }, "canonical"],
    ["an OIDC template without openid", { template: "google", scopes: "email profile" }, "openid"],
    ["an MCP server for a named OIDC template", { template: "google", mcpServer: "https://mcp.example/mcp" }, "cannot be pre-registered for an MCP server"],
    ["an MCP server for a named OAuth template", { mcpServer: "https://mcp.example/mcp" }, "cannot be pre-registered for an MCP server"],
    ["an http MCP server", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "http://mcp.example/mcp" }, "MCP server URL must be an https URL"],
    ["an MCP server with credentials", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "https://u:p@mcp.example/mcp" }, "MCP server URL must be an https URL"],
    ["an MCP server with a fragment", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "https://mcp.example/mcp#" }, "MCP server URL must be an https URL"],
    ["an MCP server that is not a URL", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "mcp.example" }, "MCP server URL must be an https URL"],
    ["an MCP server that is not a string", { template: "generic-oidc", issuer: "https://id.example", mcpServer: ["https://mcp.example/mcp"] }, "MCP server URL must be an https URL"],
    ["an MCP server not in canonical form", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "https://MCP.example/mcp" }, "canonical form (https://mcp.example/mcp)"],
    ["a pathless MCP server without its slash", { template: "generic-oidc", issuer: "https://id.example", mcpServer: "https://mcp.example" }, "canonical form (https://mcp.example/)"],
  ])("refuses %s", async (_, extra, message) => {
    const { workspaceId } = await makeWorkspace();
    const err = await add(workspaceId, extra).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "validation_failed" });
    expect((err as Error).message).toContain(message);
    expect(await db.provider.count({ where: { workspaceId } })).toBe(0);
  });

  it("accepts the generic templates with their endpoints, and http only for loopback outside production", async () => {
    const { workspaceId } = await makeWorkspace();
    await add(workspaceId, { id: "corp", template: "generic-oidc", issuer: "https://id.example/realms/corp" });
    await add(workspaceId, {
      id: "local",
      template: "generic-oauth2",
      authUrl: "http://127.0.0.1:9000/authorize",
      tokenUrl: "http://localhost:9000/token",
      userinfoUrl: "https://o.example/me",
      revocationUrl: "https://o.example/revoke",
      scopes: "read, write read",
    });
    const [corp, local] = await listProviders({ workspaceId });
    expect(corp).toMatchObject({ id: "corp", template: "generic-oidc", issuer: "https://id.example/realms/corp", scopes: ["openid", "email"], authorizationUrl: null });
    expect(local).toMatchObject({
      id: "local",
      authorizationUrl: "http://127.0.0.1:9000/authorize",
      tokenUrl: "http://localhost:9000/token",
      revocationUrl: "https://o.example/revoke",
      scopes: ["read", "write"],
      issuer: null,
    });
  });

  it("refuses an unknown workspace and a duplicate id with clear errors", async () => {
    await expect(add("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({ code: "not_found" });
    const { workspaceId } = await makeWorkspace();
    await add(workspaceId, { clientSecret: SECRET });
    const dup = await add(workspaceId, { template: "google", clientSecret: "other" }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: "conflict" });
    expect((dup as Error).message).toContain('already has a provider "github"');
    expect(await providerClientSecret({ workspaceId, providerId: "github" })).toBe(SECRET);
  });
});

describe("the MCP server a client was pre-registered for", () => {
  it("is stored exactly as checked for the generic templates, listed and audited; one provider per server", async () => {
    const { workspaceId } = await makeWorkspace();
    const server = "https://mcp.example/v1/mcp?tenant=a%20b";
    await add(workspaceId, { id: "mcp-as", template: "generic-oidc", issuer: "https://id.example", mcpServer: server });
    await add(workspaceId, { id: "mcp-oauth2", template: "generic-oauth2", authUrl: "https://o.example/a", tokenUrl: "https://o.example/t", mcpServer: "https://mcp.example/" });
    await add(workspaceId, { id: "sso", template: "generic-oidc", issuer: "https://id.example" });
    expect((await listProviders({ workspaceId })).map((p) => [p.id, p.mcpServer])).toEqual([
      ["mcp-as", server],
      ["mcp-oauth2", "https://mcp.example/"],
      ["sso", null],
    ]);
    const event = await db.auditEvent.findFirstOrThrow({ where: { workspaceId, target: "provider:mcp-as" } });
    expect(event.data).toMatchObject({ mcpServer: server, issuer: "https://id.example" });

    const dup = await add(workspaceId, { id: "mcp-again", template: "generic-oidc", issuer: "https://other-id.example", mcpServer: server }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: "conflict" });
    expect((dup as Error).message).toBe("This workspace already has a provider pre-registered for this MCP server; remove it first.");
    // The same id again is still told as the id's conflict.
    const sameId = await add(workspaceId, { id: "mcp-as", template: "generic-oidc", issuer: "https://id.example", mcpServer: "https://mcp.example/other" }).catch((e: unknown) => e);
    expect((sameId as Error).message).toContain('already has a provider "mcp-as"');
    expect(await db.provider.count({ where: { workspaceId } })).toBe(3);

    // Another workspace may pre-register a client for the same server; once removed, the server is free again.
    const other = await makeWorkspace();
    await add(other.workspaceId, { id: "mcp-as", template: "generic-oidc", issuer: "https://id.example", mcpServer: server });
    await removeProvider({ workspaceId, id: "mcp-as", actor });
    await add(workspaceId, { id: "mcp-again", template: "generic-oidc", issuer: "https://id.example", mcpServer: server });
  });
});

describe("the client secret", () => {
  it("is sealed, opens only for its own (workspace, provider id), and a copy to another row does not open", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    await add(a.workspaceId, { clientSecret: SECRET });
    await add(a.workspaceId, { id: "github-2", clientSecret: "second" });
    await add(b.workspaceId, { clientSecret: "theirs" });
    const row = await db.provider.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId: a.workspaceId, id: "github" } }, omit: { clientSecret: false } });
    expect(Buffer.from(row.clientSecret!).includes(Buffer.from(SECRET))).toBe(false);
    expect(row.clientSecretKeyId).toBe(getConfig().masterKeys[0]!.id);
    expect(await providerClientSecret({ workspaceId: a.workspaceId, providerId: "github" })).toBe(SECRET);

    // The same box under another provider id of the same workspace, and under the same id in another workspace.
    for (const where of [
      { workspaceId: a.workspaceId, id: "github-2" },
      { workspaceId: b.workspaceId, id: "github" },
    ]) {
      await db.provider.update({ where: { workspaceId_id: where }, data: { clientSecret: row.clientSecret, clientSecretKeyId: row.clientSecretKeyId } });
      await expect(providerClientSecret({ workspaceId: where.workspaceId, providerId: where.id })).rejects.toMatchObject({ reason: "authentication_failed" });
    }
  });

  it("never opens as a user's secret, nor a user's secret as it", () => {
    const keys = getConfig().masterKeys;
    const workspaceId = "8d1c0e52-1111-4c4c-8c8c-000000000001";
    const provider = { kind: "provider-client-secret" as const, workspaceId, providerId: "github" };
    const user = { workspaceId, userId: "provider-client-secret", name: "github" };
    expect(() => open(keys, user, seal(keys, provider, "x").box)).toThrow(DecryptError);
    expect(() => open(keys, provider, seal(keys, user, "x").box)).toThrow(DecryptError);
  });

  it("is optional (a public client), and then there is nothing to open", async () => {
    const { workspaceId } = await makeWorkspace();
    await add(workspaceId, { id: "pub", template: "linear" });
    const row = await db.provider.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId, id: "pub" } }, omit: { clientSecret: false } });
    expect(row).toMatchObject({ clientSecret: null, clientSecretKeyId: null, scopes: "read" });
    expect(await providerClientSecret({ workspaceId, providerId: "pub" })).toBeNull();
  });

  it("is never in a list result nor in the audit log", async () => {
    const { workspaceId } = await makeWorkspace();
    await add(workspaceId, { clientSecret: SECRET, scopes: "repo read:org" });
    await add(workspaceId, { id: "gmail", template: "google", clientId: "123.apps.googleusercontent.com" });
    const list = await listProviders({ workspaceId });
    expect(list).toEqual([
      expect.objectContaining({ id: "github", template: "github", clientId: "Iv1.abc", hasClientSecret: true, scopes: ["repo", "read:org"] }),
      expect.objectContaining({ id: "gmail", template: "google", hasClientSecret: false, scopes: ["openid", "email", "profile"] }),
    ]);
    const row = await db.provider.findUniqueOrThrow({ where: { workspaceId_id: { workspaceId, id: "github" } }, omit: { clientSecret: false } });
    const boxB64 = Buffer.from(row.clientSecret!).toString("base64");
    const boxHex = Buffer.from(row.clientSecret!).toString("hex");
    for (const p of list) expect(Object.keys(p)).not.toContain("clientSecret");
    const listed = JSON.stringify(list);
    for (const needle of [SECRET, boxB64, boxHex]) expect(listed).not.toContain(needle);

    await removeProvider({ workspaceId, id: "github", actor });
    const events = await db.auditEvent.findMany({ where: { workspaceId, action: { startsWith: "provider." } }, orderBy: { seq: "asc" }, omit: { id: true } });
    expect(events.map((e) => e.action)).toEqual(["provider.added", "provider.added", "provider.removed"]);
    expect(events[0]).toMatchObject({ target: "provider:github", data: expect.objectContaining({ template: "github", hasClientSecret: true }) });
    const audited = JSON.stringify(await db.auditEvent.findMany({ where: { workspaceId }, omit: { id: true } }));
    for (const needle of [SECRET, boxB64, boxHex]) expect(audited).not.toContain(needle);
  });
});

describe("workspaces", () => {
  it("list and remove see only their own workspace's providers", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    await add(a.workspaceId, { clientSecret: SECRET });
    expect(await listProviders({ workspaceId: b.workspaceId })).toEqual([]);
    await expect(removeProvider({ workspaceId: b.workspaceId, id: "github", actor })).rejects.toMatchObject({ code: "not_found" });
    await expect(providerClientSecret({ workspaceId: b.workspaceId, providerId: "github" })).rejects.toMatchObject({ code: "not_found" });
    expect(await providerExists({ workspaceId: a.workspaceId, providerId: "github" })).toBe(true);
    expect(await providerExists({ workspaceId: b.workspaceId, providerId: "github" })).toBe(false);
    expect(await db.auditEvent.count({ where: { workspaceId: b.workspaceId, action: { startsWith: "provider." } } })).toBe(0);

    await expect(removeProvider({ workspaceId: a.workspaceId, id: "github", actor })).resolves.toEqual({ removed: true });
    expect(await listProviders({ workspaceId: a.workspaceId })).toEqual([]);
    await expect(removeProvider({ workspaceId: a.workspaceId, id: "github", actor })).rejects.toMatchObject({ code: "not_found" });
    await expect(listProviders({ workspaceId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
  });
});
