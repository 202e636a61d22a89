// Settings links over HTTP against the server without an identity provider (links open straight in).
import type { APIRequestContext } from "@playwright/test";
import { createWorkspace, gatehouse } from "../../helpers/cli";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, randomIp, settingsLinkId, sha256, test, withRedis } from "../../helpers/fixtures";

test.use({ baseURL: E2E_PLAIN_BASE_URL });
const ORIGIN = { Origin: E2E_PLAIN_BASE_URL };

async function expiredBody(request: APIRequestContext) {
  const res = await request.get(`/settings?s=${"Z".repeat(43)}`);
  expect(res.status()).toBe(410);
  return res.text();
}

test("the interstitial names the user and workspace, sets the link headers, and does not consume the link", async ({ request }) => {
  const ws = createWorkspace("Dana Link");
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  for (let i = 0; i < 2; i++) {
    const res = await request.get(`/settings?s=${id}`);
    expect(res.status()).toBe(200);
    const headers = res.headers();
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["x-robots-tag"]).toContain("noindex");
    // No response header carries the link id (Next echoes rewrite targets in x-middleware-rewrite).
    expect(res.headersArray().filter((h) => h.value.includes(id))).toEqual([]);
    const page = await res.text();
    expect(page).toContain("Dana Link");
    expect(page).toMatch(/<form method="post" action="\/settings\/open">/);
  }
  const open = await request.post("/settings/open", { form: { s: id }, headers: ORIGIN, maxRedirects: 0 });
  expect(open.status()).toBe(303);
});

test("a link id sent in the internal header instead of ?s= is ignored", async ({ request }) => {
  const ws = createWorkspace("Eve Header");
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  for (const path of ["/settings/link", `/settings/link?s=${id}`]) {
    const res = await request.get(path, { headers: { "x-gatehouse-link-id": id } });
    expect(res.status(), path).toBe(410);
  }
});

test("next-auth's pages and answers are never cached", async ({ request }) => {
  for (const path of ["/api/auth/signout", "/api/auth/verify-request", "/api/auth/csrf", "/api/auth/providers"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    expect(res.headers()["cache-control"], path).toContain("no-store");
  }
});

test("unknown, malformed, used and expired links all get the identical 410 page", async ({ request }) => {
  const reference = await expiredBody(request);
  expect(reference).toContain("<h1>This link can no longer be opened</h1>");
  // SPEC §3's words, once, in the body.
  expect(reference).toContain("<p>This link has expired or was already used. Ask your agent for a new one.</p>");
  for (const s of ["", "abc", "x".repeat(5000), "%00%ff", `${"a".repeat(42)}+`]) {
    const res = await request.get(`/settings?s=${encodeURIComponent(s)}`);
    expect(res.status(), s.slice(0, 20)).toBe(410);
    expect(await res.text()).toBe(reference);
    const post = await request.post("/settings/open", { form: { s }, headers: ORIGIN, maxRedirects: 0 });
    // An id far longer than any link's is refused as malformed before any link is looked up.
    expect(post.status()).toBe(s.length > 4000 ? 400 : 410);
    if (s.length <= 4000) expect(await post.text()).toBe(reference);
  }
  const ws = createWorkspace();
  const used = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  expect((await request.post("/settings/open", { form: { s: used }, headers: ORIGIN, maxRedirects: 0 })).status()).toBe(303);
  const again = await request.post("/settings/open", { form: { s: used }, headers: ORIGIN, maxRedirects: 0 });
  expect(again.status()).toBe(410);
  expect(await again.text()).toBe(reference);
  const reload = await request.get(`/settings?s=${used}`);
  expect(reload.status()).toBe(410);
  expect(await reload.text()).toBe(reference);

  const expired = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  await withRedis((r) => r.pexpire(`auth:session:{${sha256(expired)}}`, 1));
  await new Promise((r) => setTimeout(r, 20));
  const stale = await request.get(`/settings?s=${expired}`);
  expect(stale.status()).toBe(410);
  expect(await stale.text()).toBe(reference);
});

test("50 concurrent Continue posts of one link open exactly one session", async ({ playwright }) => {
  const ws = createWorkspace();
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  const contexts = await Promise.all(
    Array.from({ length: 50 }, () => playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } })),
  );
  const responses = await Promise.all(contexts.map((c) => c.post("/settings/open", { form: { s: id }, headers: ORIGIN, maxRedirects: 0 })));
  const statuses = responses.map((r) => r.status()).sort();
  expect(statuses.filter((s) => s === 303)).toHaveLength(1);
  expect(statuses.filter((s) => s === 410)).toHaveLength(49);
  const winner = responses.find((r) => r.status() === 303)!;
  expect(winner.headers()["location"]).toBe("/settings");
  expect(winner.headers()["set-cookie"]).toMatch(/^gh_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);
  await Promise.all(contexts.map((c) => c.dispose()));
});

test("a cross-origin or malformed Continue changes nothing and the link still works afterwards", async ({ request }) => {
  const ws = createWorkspace();
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  const evil = await request.post("/settings/open", { form: { s: id }, headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
  expect(evil.status()).toBe(403);
  expect(await evil.text()).toContain("did not come from Gatehouse");
  const noOrigin = await request.post("/settings/open", { form: { s: id }, maxRedirects: 0 });
  expect(noOrigin.status()).toBe(403);
  for (const site of ["cross-site", "same-site", "none"]) {
    const nullOrigin = await request.post("/settings/open", { form: { s: id }, headers: { Origin: "null", "Sec-Fetch-Site": site }, maxRedirects: 0 });
    expect(nullOrigin.status(), site).toBe(403);
  }
  const json = await request.post("/settings/open", { data: { s: id }, headers: ORIGIN, maxRedirects: 0 });
  expect(json.status()).toBe(400);
  const huge = await request.post("/settings/open", { form: { s: id, pad: "x".repeat(10_000) }, headers: ORIGIN, maxRedirects: 0 });
  expect(huge.status()).toBe(400);
  const ok = await request.post("/settings/open", { form: { s: id }, headers: ORIGIN, maxRedirects: 0 });
  expect(ok.status()).toBe(303);
});

test("link pages are rate limited per client address with Retry-After", async ({ request }) => {
  const statuses: number[] = [];
  for (let i = 0; i < 21; i++) statuses.push((await request.get(`/settings?s=${"Y".repeat(43)}`)).status());
  expect(statuses.slice(0, 20).every((s) => s === 410)).toBe(true);
  const limited = await request.get(`/settings?s=${"Y".repeat(43)}`);
  expect(limited.status()).toBe(429);
  expect(Number(limited.headers()["retry-after"])).toBeGreaterThan(0);
  expect(await limited.text()).toContain("Too many attempts");
  const other = await request.get(`/settings?s=${"Y".repeat(43)}`, { headers: { "X-Forwarded-For": randomIp() } });
  expect(other.status()).toBe(410);
  void gatehouse;
});
