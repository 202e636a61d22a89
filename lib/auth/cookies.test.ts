import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

async function cookieModule(publicUrl: string) {
  vi.stubEnv("GATEHOUSE_PUBLIC_URL", publicUrl);
  vi.resetModules();
  const config = await import("../config");
  config.getConfig();
  return import("./cookies");
}

describe("portal cookie", () => {
  it("is gh_session, HttpOnly and Lax on a plain-http development URL, embedded or not", async () => {
    const { portalCookie: { serialize: serializePortalCookie } } = await cookieModule("http://localhost:3000");
    expect(serializePortalCookie("v", 60)).toBe("gh_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
    expect(serializePortalCookie("v", 60, { embedded: true })).toBe("gh_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60");
  });

  it("is __Host- and Secure on https; the Telegram Mini App's is SameSite=None and Partitioned", async () => {
    const { portalCookie: { serialize: serializePortalCookie } } = await cookieModule("https://gate.example.com");
    expect(serializePortalCookie("v", 60)).toBe("__Host-gh_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
    expect(serializePortalCookie("v", 60, { embedded: true })).toBe("__Host-gh_session=v; Path=/; HttpOnly; SameSite=None; Partitioned; Max-Age=60; Secure");
  });
});

describe("cookie reading and the pending cookie", () => {
  it("treats a name sent twice as absent, whatever the order", async () => {
    const { portalCookie, pendingCookie } = await cookieModule("http://localhost:3000");
    const h = (cookie: string) => new Headers({ cookie });
    expect(portalCookie.read(h("a=1; gh_session=x; b=2"))).toBe("x");
    expect(portalCookie.read(h("gh_session=x; gh_session=y"))).toBeUndefined();
    expect(pendingCookie.read(h("gh_pending=planted; gh_pending=own"))).toBeUndefined();
    expect(pendingCookie.read(h("gh_pending=own"))).toBe("own");
  });

  it("is __Host-gh_pending on https, so no sibling domain can plant or shadow it", async () => {
    const { pendingCookie } = await cookieModule("https://gate.example.com");
    expect(pendingCookie.serialize("p", 600)).toBe("__Host-gh_pending=p; Path=/; HttpOnly; SameSite=Lax; Max-Age=600; Secure");
    expect(pendingCookie.clear()).toBe("__Host-gh_pending=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure");
  });

  it("clears both the Lax and the partitioned (Mini App) portal cookie on https", async () => {
    const { portalCookie } = await cookieModule("https://gate.example.com");
    expect(portalCookie.clear()).toEqual([
      "__Host-gh_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure",
      "__Host-gh_session=; Path=/; HttpOnly; SameSite=None; Partitioned; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure",
    ]);
    const { portalCookie: plain } = await cookieModule("http://localhost:3000");
    expect(plain.clear()).toEqual(["gh_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]);
  });
});

describe("the typed-name cookie (what Add's Name held when a save failed)", () => {
  const req = (cookie: string) => new Headers({ cookie });
  const SESSION = "gh_session=session-one";

  it("is scoped to the Secrets pages, short-lived and HttpOnly; __Secure- and Secure on https; never without a session", async () => {
    const plain = (await cookieModule("http://localhost:3000")).typedNameCookie;
    expect(plain.serialize("my key", req(SESSION))).toMatch(/^gh_typed_name=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=300$/);
    expect(plain.clear()).toMatch(/^gh_typed_name=; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=0; Expires=/);
    expect(plain.serialize("my key", req(""))).toBe(plain.clear());
    const secure = (await cookieModule("https://gate.example.com")).typedNameCookie;
    expect(secure.serialize("k", req("__Host-gh_session=s"))).toMatch(/^__Secure-gh_typed_name=[^;]+; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=300; Secure$/);
  });

  it("reads back exactly what was typed in the same session only, and nothing malformed, doubled, forged or too long", async () => {
    const { typedNameCookie } = await cookieModule("http://localhost:3000");
    const typed = "1 bad; name=\"é\" ✓";
    const set = typedNameCookie.serialize(typed, req(SESSION));
    const value = /^gh_typed_name=([^;]*);/.exec(set)![1]!;
    expect(typedNameCookie.read(req(`${SESSION}; gh_typed_name=${value}`))).toBe(typed);
    // Another session (a shared browser after sign-out, another person's link) reads nothing.
    expect(typedNameCookie.read(req(`gh_session=session-two; gh_typed_name=${value}`))).toBeUndefined();
    expect(typedNameCookie.read(req(`gh_typed_name=${value}`))).toBeUndefined();
    // A cookie planted from a sibling domain cannot carry a valid MAC.
    const planted = `${Buffer.from("Call +1 555 0100 for support").toString("base64url")}.${"A".repeat(43)}`;
    expect(typedNameCookie.read(req(`${SESSION}; gh_typed_name=${planted}`))).toBeUndefined();
    expect(typedNameCookie.read(req(`${SESSION}; gh_typed_name=%E0%A4%A`))).toBeUndefined();
    expect(typedNameCookie.read(req(`${SESSION}; gh_typed_name=a; gh_typed_name=b`))).toBeUndefined();
    expect(typedNameCookie.serialize("x".repeat(201), req(SESSION))).toBe(typedNameCookie.clear());
    expect(typedNameCookie.serialize("", req(SESSION))).toBe(typedNameCookie.clear());
  });
});
