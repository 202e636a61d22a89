// Connections over HTTP (SPEC §7, §12) against the real authorization servers of scripts/e2e-server.ts: an agent asks
// for integrations/connect, the owner's link goes straight into the provider's authorization, the callback connects,
// and the next ask answers already_connected; mcp-login lands in the MCP server's authorization with its resource.
// The callback refuses another portal session's state, a replayed state, and no session at all.
import { request as playwrightRequest, type APIRequestContext } from "@playwright/test";
import { authorizeHeadless } from "../../../test/fakes/oauth-as";
import { createWorkspaceAsync, issueServiceToken, sql, startJob } from "../../helpers/api-seed";
import { addTestProvider } from "../../helpers/connections";
import { E2E_CONNECT_AS_URL, E2E_CONNECT_CLIENT_ID, E2E_MCP_AS_URL, E2E_MCP_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { askGateway, linkIdOf, linkUrlsIn, telegramFake } from "../../helpers/gateway";

const PORTAL = E2E_PLAIN_BASE_URL;
const randomIp = () => `198.51.100.${1 + Math.floor(Math.random() * 250)}`;

async function ownerWithJob(request: APIRequestContext) {
  const ws = await createWorkspaceAsync("Conn Owner");
  await telegramFake.user({ id: Number(ws.ownerTelegramId) });
  await addTestProvider(ws.workspaceId, "corp");
  const { token } = await issueServiceToken(ws.workspaceId);
  const job = await startJob(request, token, { user: { platform: "telegram", id: ws.ownerTelegramId }, delivery: { platform: "telegram", chatId: ws.ownerTelegramId } });
  return { ws, job, serviceToken: token };
}

/** Opens the newest link sent to the owner; returns the 303's Location and the portal cookie it set. */
async function openNewestLink(request: APIRequestContext, chat: string) {
  const calls = (await telegramFake.calls({ chat })).filter((c) => c.method === "sendMessage");
  const url = linkUrlsIn(calls).at(-1)!;
  const open = await request.post(`${PORTAL}/settings/open`, { form: { s: linkIdOf(url) }, headers: { Origin: PORTAL, "X-Forwarded-For": randomIp() }, maxRedirects: 0 });
  expect(open.status()).toBe(303);
  const cookie = open.headers()["set-cookie"]!.split(";")[0]!;
  return { location: new URL(open.headers().location!, PORTAL), cookie };
}

const callback = (request: APIRequestContext, url: URL, cookie?: string) =>
  request.get(`${PORTAL}${url.pathname}${url.search}`, { headers: { ...(cookie ? { Cookie: cookie } : {}), "X-Forwarded-For": randomIp() }, maxRedirects: 0 });

test.describe("connections through the gateway", () => {
  test("integrations/connect: the link goes straight into the authorization; connected, then already_connected", async ({ request }) => {
    const { ws, job } = await ownerWithJob(request);
    const ask = await askGateway(request, PORTAL, job.token, "integrations/connect", { provider: "corp" });
    expect(await ask.json()).toMatchObject({ type: "integration_connect", delivered: true });

    const { location, cookie } = await openNewestLink(request, ws.ownerTelegramId);
    expect(location.origin).toBe(E2E_CONNECT_AS_URL);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: E2E_CONNECT_CLIENT_ID,
      redirect_uri: `${PORTAL}/settings/connections/callback`,
      code_challenge_method: "S256",
      response_type: "code",
    });
    expect(location.searchParams.get("nonce")).toBeTruthy();

    const back = await authorizeHeadless(location.href, "alice");
    expect(back.searchParams.get("iss")).toBe(E2E_CONNECT_AS_URL);
    // No portal session (a fresh client, no cookie jar): nothing happens, the state is not even looked at.
    const stranger = await playwrightRequest.newContext();
    expect((await callback(stranger, back)).status()).toBe(401);
    await stranger.dispose();
    const done = await callback(request, back, cookie);
    expect(done.status()).toBe(303);
    expect(done.headers().location).toBe("/settings/connections?connected=corp");
    // Replayed: the state was one-time.
    expect((await callback(request, back, cookie)).headers().location).toBe("/settings/connections?error=expired");

    const rows = await sql<{ upstream_account: string; status: string }>("SELECT upstream_account, status FROM connections WHERE workspace_id = $1", [ws.workspaceId]);
    expect(rows).toEqual([{ upstream_account: "alice@example.test", status: "active" }]);

    const again = await askGateway(request, PORTAL, job.token, "integrations/connect", { provider: "corp" });
    expect(await again.json()).toEqual({
      type: "integration_connect",
      delivered: false,
      reason: "already_connected",
      message: expect.any(String),
    });
    const [failed] = await sql<{ data: { reason: string } }>("SELECT data FROM audit_events WHERE workspace_id = $1 AND action = 'gateway.link.failed'", [ws.workspaceId]);
    expect(failed!.data.reason).toBe("already_connected");
  });

  test("a callback in another portal session is refused and connects nothing", async ({ request }) => {
    const { ws, job } = await ownerWithJob(request);
    await askGateway(request, PORTAL, job.token, "integrations/connect", { provider: "corp" });
    const first = await openNewestLink(request, ws.ownerTelegramId);
    const back = await authorizeHeadless(first.location.href, "alice");
    // The same person, another portal session (another browser): the state is bound to the session that started it.
    await askGateway(request, PORTAL, job.token, "settings-link", {});
    // Another browser: its own cookie jar (the same jar would replace the first session on open).
    const browser2 = await playwrightRequest.newContext();
    const other = await openNewestLink(browser2, ws.ownerTelegramId);
    await browser2.dispose();
    const res = await callback(request, back, other.cookie);
    expect(res.headers().location).toBe("/settings/connections?error=other_session");
    expect(await sql("SELECT 1 FROM connections WHERE workspace_id = $1", [ws.workspaceId])).toEqual([]);
    // The other session could not burn it: the session that started it still completes it.
    const own = await playwrightRequest.newContext();
    expect((await callback(own, back, first.cookie)).headers().location).toBe("/settings/connections?connected=corp");
    await own.dispose();
  });

  test("mcp-login: the link lands in the MCP server's authorization with its resource", async ({ request }) => {
    const { ws, job } = await ownerWithJob(request);
    const ask = await askGateway(request, PORTAL, job.token, "mcp-login", { server: E2E_MCP_URL });
    expect(await ask.json()).toMatchObject({ type: "mcp_login", delivered: true });
    const { location, cookie } = await openNewestLink(request, ws.ownerTelegramId);
    expect(location.origin).toBe(E2E_MCP_AS_URL);
    expect(location.searchParams.get("resource")).toBe(E2E_MCP_URL);
    expect(location.searchParams.get("code_challenge_method")).toBe("S256");
    // The MCP authorization server's own redirect URI (the mix-up defence), not the providers' shared callback.
    const redirectUri = location.searchParams.get("redirect_uri")!;
    expect(redirectUri.startsWith(`${PORTAL}/settings/connections/callback/mcp/`)).toBe(true);
    expect(new URL(redirectUri).pathname).toMatch(/^\/settings\/connections\/callback\/mcp\/[A-Za-z0-9_-]{21}[AQgw]$/);
    const back = await authorizeHeadless(location.href, "alice");
    expect(back.pathname).toBe(new URL(redirectUri).pathname);
    const done = await callback(request, back, cookie);
    expect(done.headers().location).toBe("/settings/connections?added=mcp");
    const rows = await sql<{ server_url: string; kind: string }>("SELECT server_url, kind FROM connections WHERE workspace_id = $1", [ws.workspaceId]);
    expect(rows).toEqual([{ server_url: E2E_MCP_URL, kind: "mcp" }]);
  });

  test("mcp-login: the response on another redirect URI than its server's (the providers' callback) is refused and connects nothing", async ({ request }) => {
    const { ws, job } = await ownerWithJob(request);
    await askGateway(request, PORTAL, job.token, "mcp-login", { server: E2E_MCP_URL });
    const { location, cookie } = await openNewestLink(request, ws.ownerTelegramId);
    const back = await authorizeHeadless(location.href, "alice");
    const elsewhere = new URL(back);
    elsewhere.pathname = "/settings/connections/callback";
    expect((await callback(request, elsewhere, cookie)).headers().location).toBe("/settings/connections?error=invalid_response");
    // The state was consumed: the right path afterwards finds nothing.
    expect((await callback(request, back, cookie)).headers().location).toBe("/settings/connections?error=expired");
    expect(await sql("SELECT 1 FROM connections WHERE workspace_id = $1", [ws.workspaceId])).toEqual([]);
  });
});
