import { afterEach, describe, expect, it, vi } from "vitest";
import { assertSameOrigin } from "./request";

const h = (init: Record<string, string>) => new Headers(init);

describe("assertSameOrigin", () => {
  it("accepts our origin, and a null/absent Origin only when the browser says same-origin", () => {
    expect(() => assertSameOrigin(h({ origin: "http://localhost:3000" }))).not.toThrow();
    expect(() => assertSameOrigin(h({ origin: "null", "sec-fetch-site": "same-origin" }))).not.toThrow();
    expect(() => assertSameOrigin(h({ "sec-fetch-site": "same-origin" }))).not.toThrow();
  });

  it.each([
    [{}],
    [{ origin: "https://evil.example" }],
    [{ origin: "https://evil.example", "sec-fetch-site": "same-origin" }],
    [{ origin: "http://localhost:3000.evil.example" }],
    [{ origin: "null" }],
    [{ origin: "null", "sec-fetch-site": "cross-site" }],
    [{ "sec-fetch-site": "same-site" }],
  ])("refuses %j", (init) => {
    expect(() => assertSameOrigin(h(init))).toThrow(expect.objectContaining({ code: "cross_origin" }));
  });
});

describe("clientIp", () => {
  const load = async (hops: string) => {
    vi.stubEnv("TRUST_PROXY_HOPS", hops);
    vi.resetModules();
    return (await import("./request")).clientIp;
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("with 0 proxies ignores X-Forwarded-For entirely", async () => {
    const clientIp = await load("0");
    expect(clientIp(h({ "x-forwarded-for": "6.6.6.6" }))).toBe("direct");
  });

  it("with 1 proxy takes the right-most entry, the one our proxy appended", async () => {
    const clientIp = await load("1");
    expect(clientIp(h({ "x-forwarded-for": "6.6.6.6, 203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientIp(h({ "x-forwarded-for": "::ffff:127.0.0.1" }))).toBe("127.0.0.1");
  });

  it("with 2 proxies takes the second from the right, and never a client-chosen entry beyond them", async () => {
    const clientIp = await load("2");
    expect(clientIp(h({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2" }))).toBe("203.0.113.9");
    expect(clientIp(h({ "x-forwarded-for": "10.0.0.2" }))).toBe("unknown");
  });
});

describe("rateLimitSubject", () => {
  it("counts an IPv6 address as its /64, an IPv4 address as itself, and trusts no placeholder", async () => {
    const { rateLimitSubject } = await import("./request");
    expect(rateLimitSubject("203.0.113.7")).toBe("203.0.113.7");
    expect(rateLimitSubject("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(rateLimitSubject("2001:DB8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitSubject("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(rateLimitSubject("::1")).toBe("0:0:0:0::/64");
    expect(rateLimitSubject("direct")).toBeNull();
    expect(rateLimitSubject("unknown")).toBeNull();
    expect(rateLimitSubject("not:an:address")).toBe("not:an:address");
  });
});

describe("canonicalPath", () => {
  it("decodes unreserved characters only, as the router sees them, and spots encoded separators", async () => {
    const { canonicalPath, hasEncodedSeparator } = await import("./request");
    expect(canonicalPath("/%73ettings")).toBe("/settings");
    expect(canonicalPath("/%53%65%74tings/%7Eme-%2E_%30")).toBe("/Settings/~me-._0");
    expect(canonicalPath("/a%20b%3Fc%25")).toBe("/a%20b%3Fc%25");
    expect(hasEncodedSeparator("/api%2Fhealth")).toBe(true);
    expect(hasEncodedSeparator("/settings%5cx")).toBe(true);
    expect(hasEncodedSeparator("/settings/x%20y")).toBe(false);
  });
});
