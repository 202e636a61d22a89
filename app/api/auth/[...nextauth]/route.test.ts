// next-auth's endpoints through their route handler, as the proxy hands them on: hostile callbackUrl values
// (query or cookie) and malformed bodies answer 4xx in the JSON shape, with at most one short log line and no stack.
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

let GET: (req: NextRequest) => Promise<Response>;
let POST: (req: NextRequest) => Promise<Response>;
let warn: ReturnType<typeof vi.spyOn>;
let error: ReturnType<typeof vi.spyOn>;
let withoutBadCallbackCookie: (header: string | null) => string | null;

const BASE = "http://localhost:3000/api/auth";

beforeAll(async () => {
  vi.stubEnv("SETTINGS_OAUTH_ISSUER", "http://127.0.0.1:9/");
  vi.stubEnv("SETTINGS_OAUTH_CLIENT_ID", "vitest");
  vi.stubEnv("SETTINGS_OAUTH_CLIENT_SECRET", "vitest-secret");
  vi.stubEnv("AUTH_SECRET", "vitest-auth-secret-vitest-auth-secret");
  ({ GET, POST } = await import("./route"));
  ({ withoutBadCallbackCookie } = await import("@/lib/auth/next-auth-input"));
  const { log } = await import("@/lib/log");
  warn = vi.spyOn(log, "warn");
  error = vi.spyOn(log, "error");
});

beforeEach(() => {
  warn.mockClear();
  error.mockClear();
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** What the proxy does to the Cookie header before any route (next-auth's included) sees it. */
function throughProxy(path: string, init: { method?: string; cookie?: string; body?: string; contentType?: string } = {}) {
  const headers = new Headers();
  const cookie = init.cookie === undefined ? null : (withoutBadCallbackCookie(init.cookie) ?? init.cookie);
  if (cookie) headers.set("cookie", cookie);
  if (init.contentType) headers.set("content-type", init.contentType);
  return new NextRequest(`${BASE}${path}`, { method: init.method ?? "GET", headers, body: init.body });
}

function expectNoStackLogged() {
  expect(error).not.toHaveBeenCalled();
  expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
  const logged = JSON.stringify(warn.mock.calls);
  expect(logged).not.toMatch(/\bat .*\.js:\d+/);
  expect(logged.length).toBeLessThan(600);
}

async function expectErrorShape(res: Response, status: number) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
}

describe("next-auth under hostile input", () => {
  it.each(["/session", "/csrf", "/providers", "/signin", "/signout", "/error"])(
    "GET %s with a callback-url cookie that is no URL answers as without it",
    async (path) => {
      for (const cookie of ["authjs.callback-url=x", "authjs.callback-url=javascript%3Aalert(1)", `__Secure-authjs.callback-url=${"A".repeat(5000)}`]) {
        const res = await GET(throughProxy(path, { cookie }));
        expect(res.status).toBeLessThan(500);
      }
      expectNoStackLogged();
    },
  );

  it.each([
    ["GET", "/session?callbackUrl=x"],
    ["GET", "/csrf?callbackUrl=javascript:alert(1)"],
    ["GET", "/providers?callbackUrl=%2F%2Fevil.example"],
    ["GET", "/signin?callbackUrl=https://evil.example/"],
    ["POST", "/signin/settings?callbackUrl=javascript:alert(1)"],
    ["GET", "/session?callbackUrl=/ok&callbackUrl=javascript:alert(1)"],
  ])("%s %s is a JSON 400", async (method, path) => {
    const res = await (method === "GET" ? GET : POST)(throughProxy(path, { method }));
    await expectErrorShape(res, 400);
    expectNoStackLogged();
  });

  it("keeps a same-site callbackUrl working", async () => {
    const res = await GET(throughProxy("/csrf?callbackUrl=/settings/callback"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ csrfToken: expect.any(String) });
  });

  it.each([
    ["malformed JSON", "{", "application/json"],
    ["a JSON string", '"x"', "application/json"],
    ["a form without a CSRF token", "callbackUrl=%2F", "application/x-www-form-urlencoded"],
  ])("POST /session with %s is a JSON 400", async (_name, body, contentType) => {
    const res = await POST(throughProxy("/session", { method: "POST", body, contentType }));
    await expectErrorShape(res, 400);
    expectNoStackLogged();
  });

  it("a callback for a provider that does not exist goes to the identity error page", async () => {
    const res = await GET(throughProxy("/callback/other?code=x&state=y"));
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).pathname).toBe("/settings/identity-error");
    expectNoStackLogged();
  });

  it("a provider's access_denied (the person cancelled) goes to the identity error page as a cancel", async () => {
    const res = await GET(throughProxy("/callback/settings?error=access_denied&error_description=End-User+aborted+interaction&state=x"));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.pathname).toBe("/settings/identity-error");
    expect(location.searchParams.get("error")).toBe("Cancelled");
    const other = await GET(throughProxy("/callback/settings?error=server_error&state=x"));
    expect(new URL(other.headers.get("location")!).searchParams.get("error")).not.toBe("Cancelled");
  });

  it("a failed callback next-auth sends to its sign-in page goes to the identity error page instead", async () => {
    const { guardNextAuth } = await import("@/lib/auth/next-auth-input");
    const asNextAuth = guardNextAuth(async () => Response.redirect("http://localhost:3000/settings?error=OAuthCallbackError", 302));
    const cancelled = await asNextAuth(new Request(`${BASE}/callback/settings?error=access_denied&state=s`));
    expect(cancelled.headers.get("location")).toBe("http://localhost:3000/settings/identity-error?error=Cancelled");
    const failed = await asNextAuth(new Request(`${BASE}/callback/settings?code=c&state=s`));
    expect(failed.headers.get("location")).toBe("http://localhost:3000/settings/identity-error?error=OAuthCallbackError");
    // Only callbacks: the sign-in page next-auth redirects to from elsewhere stays.
    const elsewhere = await asNextAuth(new Request(`${BASE}/signin?error=x`));
    expect(elsewhere.headers.get("location")).toBe("http://localhost:3000/settings?error=OAuthCallbackError");
  });

  it.each(["/nope", "/signin/settings/extra"])("GET %s (no such action) is a JSON 400", async (path) => {
    const res = await GET(throughProxy(path));
    await expectErrorShape(res, 400);
    expectNoStackLogged();
  });

  it("drops only the bad callback-url cookie and keeps the rest of the header", () => {
    expect(withoutBadCallbackCookie("a=1; authjs.callback-url=x; b=2")).toBe("a=1; b=2");
    expect(withoutBadCallbackCookie("authjs.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fsettings")).toBeNull();
    expect(withoutBadCallbackCookie("a=1")).toBeNull();
  });
});
