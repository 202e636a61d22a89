// Hostile input the fuzz test found (or the issue reported), each pinned as its own case against the production
// build: next-auth's endpoints, Next's framework answers (router state, Server Actions, methods), all 4xx in our
// shapes — JSON under /api, a page elsewhere.
import { E2E_OIDC_PORT } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";

const jsonError = async (res: { status(): number; headers(): Record<string, string>; json(): Promise<unknown> }, status: number) => {
  expect(res.status()).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  expect(await res.json()).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
};

const htmlPage = async (res: { status(): number; headers(): Record<string, string>; text(): Promise<string> }, status: number) => {
  expect(res.status()).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^text\/html/);
  expect(await res.text()).toMatch(/<html/i);
};

// The settings links' next-auth and the admin sign-in's (admin-auth.ts), each with its own callback-url cookie.
const NEXT_AUTHS = [
  { base: "/api/auth", cookie: "authjs.callback-url" },
  { base: "/api/admin-auth", cookie: "gh_admin_auth.callback-url" },
];

for (const { base, cookie: name } of NEXT_AUTHS) for (const path of [`${base}/session`, `${base}/csrf`, `${base}/providers`]) {
  test(`${path} with a callback-url cookie that is no URL answers as without one`, async ({ request }) => {
    for (const cookie of [`${name}=x`, `${name}=javascript%3Aalert(1)`, `${name}=%ZZ`]) {
      const res = await request.get(path, { headers: { cookie } });
      expect(res.status(), cookie).toBe(200);
      expect(res.headers()["cache-control"]).toContain("no-store");
    }
  });

  test(`${path} with a callbackUrl off this site is a JSON 400`, async ({ request }) => {
    for (const callbackUrl of ["x", "javascript:alert(1)", "//evil.example/", "https://evil.example/"]) {
      await jsonError(await request.get(`${path}?callbackUrl=${encodeURIComponent(callbackUrl)}`), 400);
    }
  });
}

test("POST signin with callbackUrl=javascript:alert(1) is a JSON 400, on both next-auth configurations", async ({ request }) => {
  await jsonError(await request.post("/api/auth/signin/settings?callbackUrl=javascript:alert(1)", { form: {} }), 400);
  await jsonError(await request.post("/api/admin-auth/signin/admin?callbackUrl=javascript:alert(1)", { form: {} }), 400);
});

test("next-auth's own refusals answer in the JSON shape", async ({ request }) => {
  for (const { base } of NEXT_AUTHS) {
    await jsonError(await request.post(`${base}/session`, { data: "{", headers: { "content-type": "application/json" } }), 400);
    await jsonError(await request.get(`${base}/no-such-action`), 400);
    await jsonError(await request.put(`${base}/session`), 405);
  }
});

test("a provider's access_denied on the callback lands on the cancelled page", async ({ request }) => {
  const res = await request.get("/api/auth/callback/settings?error=access_denied&state=x", { maxRedirects: 0 });
  expect(res.status()).toBe(302);
  expect(new URL(res.headers().location!).pathname + new URL(res.headers().location!).search).toBe("/settings/identity-error?error=Cancelled");
  const admin = await request.get("/api/admin-auth/callback/admin?error=access_denied&state=x", { maxRedirects: 0 });
  expect(admin.status()).toBe(302);
  const location = new URL(admin.headers().location!);
  expect(location.pathname + location.search).toBe("/admin/sign-in-error?error=Cancelled");
  const page = await request.get(location.pathname + location.search);
  expect(page.status()).toBe(401);
  expect(await page.text()).toContain("Sign-in was cancelled");
});

test("the settings next-auth cannot sign in with the admin provider, nor the admin one with the settings provider", async ({ request }) => {
  const csrf = async (base: string) => ((await (await request.get(`${base}/csrf`)).json()) as { csrfToken: string }).csrfToken;
  const cross = await request.post("/api/auth/signin/admin", { form: { csrfToken: await csrf("/api/auth") }, maxRedirects: 0 });
  expect(cross.status()).toBeLessThan(500);
  expect(cross.headers().location ?? "").not.toContain(`:${E2E_OIDC_PORT}`);
  const other = await request.post("/api/admin-auth/signin/settings", { form: { csrfToken: await csrf("/api/admin-auth") }, maxRedirects: 0 });
  expect(other.status()).toBeLessThan(500);
  expect(other.headers().location ?? "").not.toContain(`:${E2E_OIDC_PORT}`);
});

test("a router state header Next cannot use is a 400, not Next's bare 500", async ({ request }) => {
  for (const tree of ["[]", "%ZZ", "x", '{"a":1}']) {
    await htmlPage(await request.get("/SETTINGS/callback", { headers: { RSC: "1", "Next-Router-State-Tree": tree } }), 400);
    await htmlPage(await request.get("/settings", { headers: { RSC: "1", "Next-Router-State-Tree": tree } }), 400);
    await jsonError(await request.get("/api/health", { headers: { RSC: "1", "Next-Router-State-Tree": tree } }), 400);
  }
});

test("a Server Action call (Gatehouse has none) is a 400 page, not Next's bare text", async ({ request }) => {
  await htmlPage(await request.post("/settings", { headers: { "Next-Action": "abc123" }, data: "[]" }), 400);
  await htmlPage(await request.post("/", { headers: { "Next-Action": "0".repeat(42) }, multipart: { a: "b" } }), 400);
});

test("a method no route takes is a 405 with Allow, in the JSON shape under /api and a page elsewhere", async ({ request }) => {
  const api = await request.fetch("/api/health", { method: "PUT" });
  await jsonError(api, 405);
  expect(api.headers().allow).toBe("GET");
  const form = await request.fetch("/settings/open", { method: "PATCH" });
  await htmlPage(form, 405);
  expect(form.headers().allow).toBe("POST");
  await htmlPage(await request.get("/settings/sign-out"), 405);
  await htmlPage(await request.fetch("/readme", { method: "OPTIONS" }), 405);
  await htmlPage(await request.post("/telegram", { multipart: { a: "b" } }), 405);
});

test("a post to a path nothing serves is a 404 page, not a Server Action answer", async ({ request }) => {
  await htmlPage(await request.post("/no-such-page", { multipart: { s: "x" } }), 404);
  await htmlPage(await request.post("/SETTINGS/open", { form: { s: "x" } }), 404);
});

test("an encoded path is checked as the router reads it: /%73ettings?s= is the link interstitial, an encoded slash a 400", async ({ request }) => {
  const id = "A".repeat(43);
  const encoded = await request.get(`/%73ettings?s=${id}`, { maxRedirects: 0 });
  expect(encoded.status()).toBe(410); // an unknown link, answered by the interstitial: never the portal page
  expect(encoded.headers()["cache-control"]).toContain("no-store");
  expect(encoded.headers()["x-robots-tag"]).toBe("noindex, nofollow");
  expect(await encoded.text()).not.toContain(id);
  const slash = await request.get("/api%2Fhealth");
  expect(slash.status()).toBe(400);
  expect(await slash.json()).toEqual({ error: { code: "bad_request", message: "The request path is malformed." } });
  const page = await request.get("/settings%2Fsecrets");
  expect(page.status()).toBe(400);
  expect(page.headers()["content-type"]).toContain("text/html");
});
