// A job granted an MCP server (SPEC §12): the credentials endpoint serves the login's token, and once it is due,
// refreshes it through lib/mcp (the client the tokens were issued to, with the RFC 8707 resource) exactly once for
// 20 concurrent reads; the refreshed token works at the real MCP server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callWhoami, startMcpStack, type McpStack } from "@/test/fakes/mcp-server";
import { authorizeHeadless } from "@/test/fakes/oauth-as";
import { makeJob, makeWorkspace } from "@/test/factories";
import { getConfig } from "../config";
import { takeFlow } from "../connections/flow-state";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { finishMcpLogin, startMcpLogin } from "../mcp";
import { serveCredentials } from "./credentials-serve";

let stack: McpStack;

beforeAll(async () => {
  stack = await startMcpStack({ accessTokenTtlSeconds: 3600 });
  for (const url of [stack.as.issuer, stack.mcp.url]) getConfig().outboundAllow.push(new URL(url).host);
});
afterAll(async () => {
  await stack?.stop();
  await closeLazyClients();
});

describe("credentials for an MCP grant", () => {
  it("serves the login's token, refreshes it once when due for 20 concurrent reads, and the new token calls the server", async () => {
    const ws = await makeWorkspace();
    const { authorizationUrl } = await startMcpLogin({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, sessionRef: "cd".repeat(32), serverUrl: stack.mcp.url });
    const back = await authorizeHeadless(authorizationUrl, "alice");
    const flow = await takeFlow(back.searchParams.get("state"), "cd".repeat(32));
    if (!flow || flow === "other_session") throw new Error("no flow for this session");
    await finishMcpLogin({ flow, callbackUrl: back, actor: { type: "user", id: ws.ownerUserId } });

    const job = await makeJob(ws.workspaceId, ws.ownerTelegramId, [{ mcp: stack.mcp.url, envVar: "MCP_TOKEN" }]);
    const first = await serveCredentials({ token: job.token, jobId: job.jobId });
    expect(first.map((c) => c.env_var)).toEqual(["MCP_TOKEN"]);
    expect(await callWhoami(stack.mcp.url, first[0]!.value)).toBe("alice-sub");

    // Due now: it expires within the 5 minutes (and within half its lifetime).
    await db.connection.updateMany({ where: { workspaceId: ws.workspaceId }, data: { accessExpiresAt: new Date(Date.now() + 60_000), obtainedAt: new Date(Date.now() - 3_540_000) } });
    const before = stack.as.stats().refreshGrants;
    const reads = await Promise.all(Array.from({ length: 20 }, () => serveCredentials({ token: job.token, jobId: job.jobId })));
    expect(stack.as.stats().refreshGrants - before).toBe(1);
    const values = new Set(reads.map((r) => r[0]!.value));
    expect(values.size).toBe(1);
    const [fresh] = [...values];
    expect(fresh).not.toBe(first[0]!.value);
    expect(await callWhoami(stack.mcp.url, fresh!)).toBe("alice-sub");
    const introspected = await stack.as.introspect(fresh!);
    expect(introspected.aud).toContain(stack.mcp.url);
  });
});
