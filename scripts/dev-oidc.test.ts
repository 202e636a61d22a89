import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevOidcProvider, type DevOidcProvider } from "./dev-oidc";

const CLIENT_ID = "test-client";
const CLIENT_SECRET = "test-secret";
const REDIRECT_URI = "http://localhost:3100/api/auth/callback/settings";

class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      const [pair = "", ...attrs] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((attr) => {
        const [key = "", val = ""] = attr.split("=");
        return key.trim().toLowerCase() === "expires" && Date.parse(val) <= Date.now();
      });
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

function base64url(buf: Buffer): string {
  return buf.toString("base64url");
}

function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1];
  if (!payload) throw new Error("malformed JWT");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

interface Browser {
  jar: CookieJar;
  /** Follows redirects within the provider; stops at an HTML page or at the client's redirect_uri. */
  go(url: string, init?: { method: "POST"; form: Record<string, string> }): Promise<{ url: string; res: Response }>;
}

function browser(): Browser {
  const jar = new CookieJar();
  return {
    jar,
    async go(startUrl, init) {
      let url = startUrl;
      let request: RequestInit = init
        ? {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(init.form).toString(),
          }
        : {};
      for (let hops = 0; hops < 10; hops++) {
        const res = await fetch(url, {
          ...request,
          redirect: "manual",
          headers: { ...(request.headers as Record<string, string> | undefined), cookie: jar.header() },
        });
        jar.store(res);
        const location = res.headers.get("location");
        if (res.status < 300 || res.status >= 400 || !location) return { url, res };
        url = new URL(location, url).toString();
        if (url.startsWith(REDIRECT_URI)) return { url, res };
        request = {};
      }
      throw new Error(`too many redirects from ${startUrl}`);
    },
  };
}

function formAction(html: string): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no form on page");
  return match[1].replaceAll("&amp;", "&");
}

function pkcePair(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash("sha256").update(verifier).digest()) };
}

describe("dev OIDC provider", () => {
  let provider: DevOidcProvider;

  beforeAll(async () => {
    provider = await startDevOidcProvider({
      port: 0,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
    });
  });

  afterAll(async () => {
    await provider?.stop();
  });

  function authorizeUrl(params: Record<string, string>): string {
    const url = new URL("/auth", provider.issuer);
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: "code",
      scope: "openid email profile",
      redirect_uri: REDIRECT_URI,
      state: base64url(randomBytes(8)),
      ...params,
    }).toString();
    return url.toString();
  }

  /** Drives the stock devInteractions pages; consent is expected only for known accounts. */
  async function login(b: Browser, authUrl: string, loginName: string, expectConsent = true): Promise<URL> {
    const loginPage = await b.go(authUrl);
    expect(loginPage.res.status).toBe(200);
    const loginHtml = await loginPage.res.text();
    expect(loginHtml).toContain('name="login"');
    expect(loginHtml).toContain('name="password"');

    let step = await b.go(new URL(formAction(loginHtml), loginPage.url).toString(), {
      method: "POST",
      form: { prompt: "login", login: loginName, password: "anything" },
    });
    if (expectConsent) {
      expect(step.res.status).toBe(200);
      const consentHtml = await step.res.text();
      expect(consentHtml).toContain(">Continue</button>");
      step = await b.go(new URL(formAction(consentHtml), step.url).toString(), {
        method: "POST",
        form: { prompt: "consent" },
      });
    }
    expect(step.url.startsWith(REDIRECT_URI)).toBe(true);
    return new URL(step.url);
  }

  it("publishes discovery metadata", async () => {
    const res = await fetch(new URL("/.well-known/openid-configuration", provider.issuer));
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(meta.issuer).toBe(provider.issuer);
    expect(meta.authorization_endpoint).toBe(`${provider.issuer}/auth`);
    expect(meta.token_endpoint).toBe(`${provider.issuer}/token`);
    expect(meta.userinfo_endpoint).toBe(`${provider.issuer}/me`);
    expect(meta.code_challenge_methods_supported).toContain("S256");
  });

  it("completes authorization code + PKCE for alice", async () => {
    const { verifier, challenge } = pkcePair();
    const nonce = base64url(randomBytes(8));
    const callback = await login(
      browser(),
      authorizeUrl({ code_challenge: challenge, code_challenge_method: "S256", nonce }),
      "alice",
    );
    expect(callback.searchParams.get("error")).toBeNull();
    expect(callback.searchParams.get("iss")).toBe(provider.issuer);
    const code = callback.searchParams.get("code");
    expect(code).toBeTruthy();

    const tokenRes = await fetch(new URL("/token", provider.issuer), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: code ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    });
    expect(tokenRes.status).toBe(200);
    const tokens = (await tokenRes.json()) as { id_token?: string; access_token?: string };
    expect(tokens.access_token).toBeTruthy();
    const claims = decodeJwtPayload(tokens.id_token ?? "");
    expect(claims.iss).toBe(provider.issuer);
    expect(claims.aud).toBe(CLIENT_ID);
    expect(claims.nonce).toBe(nonce);
    expect(claims.sub).toBe("alice");
    expect(claims.email).toBe("alice@example.test");
    expect(claims.email_verified).toBe(true);
    expect(claims.name).toBe("Alice Example");
  });

  it("rejects a token exchange with the wrong code_verifier", async () => {
    const { challenge } = pkcePair();
    const callback = await login(
      browser(),
      authorizeUrl({ code_challenge: challenge, code_challenge_method: "S256" }),
      "mallory",
    );
    const tokenRes = await fetch(new URL("/token", provider.issuer), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: callback.searchParams.get("code") ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: pkcePair().verifier,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    expect(tokenRes.status).toBe(400);
  });

  it("rejects an authorization request without code_challenge", async () => {
    const { url, res } = await browser().go(authorizeUrl({}));
    expect(res.status).toBe(303);
    const callback = new URL(url);
    expect(callback.searchParams.get("error")).toBe("invalid_request");
    expect(callback.searchParams.get("error_description")).toMatch(/PKCE/);
    expect(callback.searchParams.get("code")).toBeNull();
  });

  it("does not sign in an unknown account", async () => {
    const b = browser();
    const callback = await login(
      b,
      authorizeUrl({ code_challenge: pkcePair().challenge, code_challenge_method: "S256" }),
      "bob",
      false,
    );
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("code")).toBeNull();

    // The browser session must be left unauthenticated: the next attempt asks for login again.
    const retry = await b.go(authorizeUrl({ code_challenge: pkcePair().challenge, code_challenge_method: "S256" }));
    expect(retry.res.status).toBe(200);
    expect(await retry.res.text()).toContain('name="login"');
  });
});
