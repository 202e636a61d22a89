// Portal sessions over HTTP: timeouts, sign-out of others, member removal, same-origin checks, headers.
import type { APIRequestContext, PlaywrightWorkerArgs } from "@playwright/test";
import { createWorkspace, gatehouse } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, randomIp, settingsLinkId, sha256, test, withRedis } from "../../helpers/fixtures";

test.use({ baseURL: E2E_PLAIN_BASE_URL });
const ORIGIN = { Origin: E2E_PLAIN_BASE_URL };

/** A browser-like client signed in through a fresh link; returns it with its raw session cookie. */
async function signIn(playwright: PlaywrightWorkerArgs["playwright"], ws: { workspaceId: string; ownerTelegramId: string }) {
  const ctx = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const res = await ctx.post("/settings/open", { form: { s: settingsLinkId(ws.workspaceId, ws.ownerTelegramId) }, headers: ORIGIN, maxRedirects: 0 });
  expect(res.status()).toBe(303);
  const cookie = (await ctx.storageState()).cookies.find((c) => c.name === "gh_session")!.value;
  return { ctx, cookie };
}

async function portalStatus(ctx: APIRequestContext) {
  return (await ctx.get("/settings", { maxRedirects: 0 })).status();
}

test("without a session /settings is a 401 that points back to chat, with no sign-in form", async ({ request }) => {
  const res = await request.get("/settings");
  expect(res.status()).toBe(401);
  const page = await res.text();
  expect(page).toContain("Open the settings link from your chat");
  expect(page).not.toMatch(/<input[^>]+(password|type="email")/i);
});

test("a session ends after the idle timeout and after the absolute timeout", async ({ playwright }) => {
  const ws = createWorkspace();
  const idle = await signIn(playwright, ws);
  expect(await portalStatus(idle.ctx)).toBe(200);
  const key = `portal:session:{${sha256(idle.cookie)}}`;
  const ttl = await withRedis((r) => r.pttl(key));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(1800 * 1000);
  await withRedis((r) => r.pexpire(key, 1));
  await new Promise((r) => setTimeout(r, 20));
  expect(await portalStatus(idle.ctx)).toBe(401);

  const absolute = await signIn(playwright, ws);
  const absKey = `portal:session:{${sha256(absolute.cookie)}}`;
  await withRedis(async (r) => {
    const record = JSON.parse((await r.get(absKey))!);
    await r.set(absKey, JSON.stringify({ ...record, absoluteExpiresAt: Date.now() - 1000 }), "KEEPTTL");
  });
  expect(await portalStatus(absolute.ctx)).toBe(401);
  expect(await withRedis((r) => r.exists(absKey))).toBe(0);
});

test("sign out all other sessions ends them and keeps this one; cross-origin attempts change nothing", async ({ playwright }) => {
  const ws = createWorkspace();
  const a = await signIn(playwright, ws);
  const b = await signIn(playwright, ws);
  const c = await signIn(playwright, ws);
  const sessions = await a.ctx.get("/settings/sessions");
  expect(sessions.status()).toBe(200);
  expect((await sessions.text()).match(/data-testid="session-row"/g)).toHaveLength(3);

  const forged = await b.ctx.post("/settings/sessions/revoke-others", { form: {}, headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect([await portalStatus(a.ctx), await portalStatus(c.ctx)]).toEqual([200, 200]);

  const res = await a.ctx.post("/settings/sessions/revoke-others", { form: {}, headers: ORIGIN, maxRedirects: 0 });
  expect(res.status()).toBe(303);
  expect([await portalStatus(a.ctx), await portalStatus(b.ctx), await portalStatus(c.ctx)]).toEqual([200, 401, 401]);
});

test("signing out one session by its ref, and someone else's ref does nothing", async ({ playwright }) => {
  const ws = createWorkspace();
  const other = createWorkspace();
  const a = await signIn(playwright, ws);
  const b = await signIn(playwright, ws);
  const stranger = await signIn(playwright, other);
  const refB = sha256(b.cookie);
  expect((await stranger.ctx.post("/settings/sessions/revoke", { form: { ref: refB }, headers: ORIGIN, maxRedirects: 0 })).status()).toBe(303);
  expect(await portalStatus(b.ctx)).toBe(200);
  expect((await a.ctx.post("/settings/sessions/revoke", { form: { ref: refB }, headers: ORIGIN, maxRedirects: 0 })).status()).toBe(303);
  expect([await portalStatus(a.ctx), await portalStatus(b.ctx)]).toEqual([200, 401]);
});

test("removing a member ends their portal sessions at once", async ({ playwright }) => {
  const ws = createWorkspace();
  const memberId = String(Date.now()).slice(-9) + "7";
  const { userId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", memberId);
  const member = await signIn(playwright, { workspaceId: ws.workspaceId, ownerTelegramId: memberId });
  expect(await portalStatus(member.ctx)).toBe(200);
  gatehouse("member", "remove", "--workspace", ws.workspaceId, "--user", userId);
  expect(await portalStatus(member.ctx)).toBe(401);
  expect(await withRedis((r) => r.exists(`portal:session:{${sha256(member.cookie)}}`))).toBe(0);
});

test("every page sends a CSP without unsafe-eval, nosniff, and lets only Telegram frame the Mini App and the pages a web_app button opens", async ({ request }) => {
  for (const [base, path] of [[E2E_PLAIN_BASE_URL, "/"], [E2E_PLAIN_BASE_URL, "/settings"], [E2E_BASE_URL, "/telegram"], [E2E_PLAIN_BASE_URL, `/settings?s=${"Q".repeat(43)}`]] as const) {
    const res = await request.get(`${base}${path}`);
    const h = res.headers();
    const csp = h["content-security-policy"] ?? "";
    expect(csp, path).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("object-src 'none'");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(csp).toContain(path === "/" ? "frame-ancestors 'none'" : "frame-ancestors https://web.telegram.org");
  }
});
