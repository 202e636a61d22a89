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
