// outboundFetch against real sockets on 127.0.0.1: an https server with a certificate made here (trusted through the
// test-only `ca`), reached by name through an injected resolver and GATEHOUSE_OUTBOUND_ALLOW-style exceptions.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createOutboundFetch, outboundFetch, type ResolvedAddress } from "./fetch";
import { OutboundError, type OutboundFailure } from "./outbound-error";

const MiB = 1024 * 1024;
let cert: string;
let key: string;
let httpsServer: https.Server;
let httpServer: http.Server;
let HTTPS: number;
let HTTP: number;
const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; servername?: string | false | null; body: string }> = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://x");
    const body = Buffer.concat(chunks).toString();
    seen.push({ method: req.method, url: req.url, headers: req.headers, servername: (req.socket as TLSSocket).servername, body });
    const q = (name: string) => url.searchParams.get(name) ?? "";
    switch (url.pathname) {
      case "/json":
        res.writeHead(200, { "content-type": "application/json", "set-cookie": "sid=1" });
        return res.end(JSON.stringify({ ok: true, host: req.headers.host }));
      case "/echo":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ method: req.method, body, headers: req.headers }));
      case "/redirect":
        res.writeHead(Number(q("status") || 302), { location: q("to") });
        return res.end("moved");
      case "/chain": {
        const n = Number(q("n"));
        if (n <= 0) return res.end("done");
        res.writeHead(302, { location: `/chain?n=${n - 1}` });
        return res.end();
      }
      case "/big": {
        const n = Number(q("n"));
        res.writeHead(200, q("cl") ? { "content-length": String(n) } : {});
        // In pieces, so the client sees a stream, not one buffer.
        for (let sent = 0; sent < n; sent += 64 * 1024) res.write(Buffer.alloc(Math.min(64 * 1024, n - sent), 97));
        return res.end();
      }
      case "/declares-huge":
        res.writeHead(200, { "content-length": String(2 * MiB) });
        return res.write("a");
      case "/trickle": {
        res.writeHead(200);
        const t = setInterval(() => res.write("a"), 50);
        return res.on("close", () => clearInterval(t));
      }
      case "/hang":
        return; // never answers
      case "/not-json":
        res.writeHead(200, { "content-type": "application/json" });
        return res.end('{"secret":"BODY-MARKER-7f3a"');
      default:
        res.writeHead(404);
        return res.end();
    }
  });
}

const NAMES: Record<string, string[]> = {
  "svc.test": ["127.0.0.1"],
  "other.test": ["127.0.0.1"],
  "wrong.test": ["127.0.0.1"],
  "private.test": ["192.168.7.10"],
  "metadata.test": ["169.254.169.254"],
  "mixed.test": ["93.184.215.14", "10.1.2.3"],
  "v6private.test": ["fd12:3456::1"],
  "mapped.test": ["::ffff:10.0.0.1"],
  "nat64.test": ["64:ff9b::a00:1"],
  "empty.test": [],
  "public.test": ["93.184.215.14"],
};
const resolve = vi.fn(async (hostname: string): Promise<ResolvedAddress[]> => {
  const found = NAMES[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
});

const allowHttps = () => [`svc.test:${HTTPS}`, `other.test:${HTTPS}`, `wrong.test:${HTTPS}`];
const fetchWith = (extra: Parameters<typeof createOutboundFetch>[0] = {}) => createOutboundFetch({ allow: allowHttps(), resolve, ca: cert, ...extra });

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const err = await promise.then(
    () => {
      throw new Error("expected the fetch to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundError);
  return err as OutboundError;
}

async function expectKind(promise: Promise<unknown>, kind: OutboundFailure) {
  const err = await failure(promise);
  expect(err.kind, err.message).toBe(kind);
  // A sentence of ours: never an address the name resolved to, never what a server sent.
  for (const address of Object.values(NAMES).flat()) expect(err.message).not.toContain(address);
  expect(err.message).not.toMatch(/127\.0\.0\.1|BODY-MARKER|moved/);
  return err;
}

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gh-outbound-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
      "-subj", "/CN=svc.test", "-addext", "subjectAltName=DNS:svc.test,DNS:other.test",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
    key = readFileSync(path.join(dir, "key.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  httpsServer = https.createServer({ cert, key }, handler);
  httpServer = http.createServer(handler);
  await new Promise<void>((r) => httpsServer.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => httpServer.listen(0, "127.0.0.1", r));
  HTTPS = (httpsServer.address() as AddressInfo).port;
  HTTP = (httpServer.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of [httpsServer, httpServer]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

describe("outboundFetch over https", () => {
  it("connects to the checked address with the original name for Host, SNI and the certificate", async () => {
    resolve.mockClear();
    const res = await fetchWith()(`https://svc.test:${HTTPS}/json`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ ok: true, host: `svc.test:${HTTPS}` });
    expect(res.url).toBe(`https://svc.test:${HTTPS}/json`);
    expect(res.headers.get("content-type")).toBe("application/json");
    // svc.test exists only in the injected resolver: the socket went where it said, and it was asked once.
    expect(resolve.mock.calls).toEqual([["svc.test"]]);
    const request = seen.at(-1);
    expect(request?.servername).toBe("svc.test");
    expect(request?.headers).toMatchObject({ host: `svc.test:${HTTPS}`, "user-agent": "Gatehouse", "accept-encoding": "identity", accept: "application/json" });
    expect(request?.headers.cookie).toBeUndefined();
  });

  it("checks the certificate against the name, not the address", async () => {
    const err = await expectKind(fetchWith()(`https://wrong.test:${HTTPS}/json`), "network");
    expect(err.networkCode).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    expect((await failure(createOutboundFetch({ allow: allowHttps(), resolve })(`https://svc.test:${HTTPS}/json`))).kind).toBe("network");
  });

  it("keeps no cookies between requests", async () => {
    const f = fetchWith();
    expect((await f(`https://svc.test:${HTTPS}/json`)).headers.get("set-cookie")).toBe("sid=1");
    await f(`https://svc.test:${HTTPS}/echo`);
    expect(seen.at(-1)?.headers.cookie).toBeUndefined();
  });

  it("POSTs a small body, a form as x-www-form-urlencoded", async () => {
    const res = await fetchWith()(`https://svc.test:${HTTPS}/echo`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "refresh_token" }),
      headers: { Authorization: "Basic abc" },
      accept: "application/json, text/plain",
    });
    expect(res.json()).toMatchObject({
      method: "POST",
      body: "grant_type=refresh_token",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic abc", accept: "application/json, text/plain", "content-length": "24" },
    });
  });

  it.each([
    [{ method: "PUT" }],
    [{ method: "DELETE" }],
    [{ method: "GET", body: "x" }],
    [{ method: "POST", body: "x".repeat(64 * 1024 + 1) }],
    [{ headers: { Cookie: "a=b" } }],
    [{ headers: { Host: "elsewhere" } }],
    [{ headers: { "Content-Length": "1" } }],
    [{ headers: { "Transfer-Encoding": "chunked" } }],
    [{ headers: { "Proxy-Authorization": "x" } }],
    [{ headers: { "bad name": "x" } }],
    [{ headers: { "x-a": "1\r\nx-b: 2" } }],
    [{ accept: "application/json\r\nCookie: a=b" }],
  ])("refuses a request it does not make: %j", async (init) => {
    await expect(fetchWith()(`https://svc.test:${HTTPS}/echo`, init as never)).rejects.toBeInstanceOf(TypeError);
  });
});

describe("the URL rules", () => {
  it.each([
    "http://public.test/",
    "http://2130706433/",
    "ftp://public.test/",
    "file:///etc/passwd",
    "data:text/plain,hi",
    "ws://public.test/",
    "javascript:alert(1)",
  ])("refuses %s as not https", async (url) => {
    await expectKind(fetchWith()(url), "not_https");
  });

  it.each(["https://user:pass@svc.test/", "https://user@public.test/", "https://:pw@public.test/", `https://u:p@svc.test:${0}/`])(
    "refuses credentials in %s",
    async (url) => {
      await expectKind(fetchWith()(url.replace(":0/", `:${HTTPS}/`)), "credentials_in_url");
    },
  );

  it.each(["not a url", "https://", "https://exa mple.com/", "https://1.2.3.4.5/"])("refuses the malformed URL %j", async (url) => {
    await expectKind(fetchWith()(url), "invalid_url");
  });

  it.each([
    "https://127.0.0.1/",
    "https://2130706433/",
    "https://0x7f.1/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://127.1/",
    "https://%31%32%37.0.0.1/",
    "https://127.0.0.1./",
    "https://0/",
    "https://10.0.0.1/",
    "https://100.64.0.1/",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.100.100.200/",
    "https://255.255.255.255/",
    "https://224.0.0.1/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[64:ff9b::a00:1]/",
    "https://[fd00:ec2::254]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[ff02::1]/",
  ])("refuses the address literal %s without asking DNS", async (url) => {
    resolve.mockClear();
    await expectKind(fetchWith()(url), "forbidden_address");
    expect(resolve).not.toHaveBeenCalled();
  });

  it.each(["private.test", "metadata.test", "mixed.test", "v6private.test", "mapped.test", "nat64.test"])(
    "refuses %s, a name with a forbidden address",
    async (name) => {
      await expectKind(fetchWith()(`https://${name}/`), "forbidden_resolved");
    },
  );

  it("answers network when a name does not resolve", async () => {
    expect((await expectKind(fetchWith()("https://nowhere.test/"), "network")).networkCode).toBe("ENOTFOUND");
    await expectKind(fetchWith()("https://empty.test/"), "network");
  });

  it("applies the rules to the system resolver and the configured exceptions by default", async () => {
    // The test run sets no GATEHOUSE_OUTBOUND_ALLOW: localhost resolves to loopback and is refused.
    await expectKind(outboundFetch(`https://localhost:${HTTPS}/json`), "forbidden_resolved");
    await expectKind(outboundFetch(`http://127.0.0.1:${HTTP}/json`), "not_https");
  });

  it("is a 400 for a URL that breaks a rule and a 503 for a server that fails", async () => {
    expect((await failure(fetchWith()("https://10.0.0.1/"))).status).toBe(400);
    expect((await failure(fetchWith()("https://nowhere.test/"))).status).toBe(503);
  });

  it("answers a name with a forbidden address exactly like a name that does not resolve (no map of internal names)", async () => {
    const hidden = await failure(fetchWith()("https://private.test/"));
    const missing = await failure(fetchWith()("https://nowhere.test/"));
    expect([hidden.status, hidden.code, hidden.message]).toEqual([missing.status, missing.code, missing.message]);
  });
});

describe("the exceptions (GATEHOUSE_OUTBOUND_ALLOW)", () => {
  it("let exactly the listed host:port through, over http too", async () => {
    const f = createOutboundFetch({ allow: [`127.0.0.1:${HTTP}`, `svc.test:${HTTPS}`], resolve, ca: cert });
    expect((await f(`http://127.0.0.1:${HTTP}/json`)).status).toBe(200);
    expect((await f(`https://SVC.test:${HTTPS}/json`)).status).toBe(200);
    await expectKind(f(`http://127.0.0.1:${HTTP + 1}/json`), "not_https");
    await expectKind(f(`https://127.0.0.1:${HTTPS}/json`), "forbidden_address");
    await expectKind(f(`http://localhost:${HTTP}/json`), "not_https");
    await expectKind(f(`https://svc.test:${HTTPS + 1}/json`), "forbidden_resolved");
    await expectKind(f(`https://other.test:${HTTPS}/json`), "forbidden_resolved");
    await expectKind(f(`https://svc.test/json`), "forbidden_resolved");
  });

  it("match the default port too, and then only skip the rules: a closed port is still a network failure", async () => {
    const f = createOutboundFetch({ allow: ["svc.test:443", "127.0.0.1:1"], resolve });
    expect((await expectKind(f("https://svc.test/json"), "network")).networkCode).toBe("ECONNREFUSED");
    expect((await expectKind(f("http://127.0.0.1:1/"), "network")).networkCode).toBe("ECONNREFUSED");
  });

  it("are the test suite's only: no option reaches a deployment", () => {
    vi.stubEnv("NODE_ENV", "production");
    try {
      expect(() => createOutboundFetch({ allow: ["svc.test:443"] })).toThrow(/test suite only/);
      expect(() => createOutboundFetch({ ca: cert })).toThrow(/test suite only/);
      expect(() => createOutboundFetch({ resolve })).toThrow(/test suite only/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("redirects", () => {
  const at = (p: string) => `https://svc.test:${HTTPS}${p}`;
  const redirect = (to: string, status = 302) => at(`/redirect?status=${status}&to=${encodeURIComponent(to)}`);

  it("follows up to 5, each hop checked, and reports the final URL", async () => {
    const res = await fetchWith()(at("/chain?n=5"));
    expect(res.status).toBe(200);
    expect(res.text()).toBe("done");
    expect(res.url).toBe(at("/chain?n=0"));
    await expectKind(fetchWith()(at("/chain?n=6")), "too_many_redirects");
  });

  it.each([
    ["https://10.0.0.1/", "forbidden_address"],
    ["https://[::ffff:192.168.0.1]/", "forbidden_address"],
    ["https://0x7f.1/", "forbidden_address"],
    ["https://private.test/", "forbidden_resolved"],
    ["https://metadata.test/latest/meta-data/", "forbidden_resolved"],
    [`https://svc.test:${0}/json`, "forbidden_resolved"],
    ["http://public.test/", "not_https"],
    ["http://svc.test/json", "not_https"],
    ["https://user:pw@public.test/", "credentials_in_url"],
    ["file:///etc/passwd", "not_https"],
    ["https://exa mple.com/", "bad_redirect"],
  ])("refuses a redirect to %s", async (to, kind) => {
    await expectKind(fetchWith()(redirect(to.replace(":0/", `:${HTTPS + 1}/`))), kind as OutboundFailure);
  });

  it("follows a relative Location and another allowed origin", async () => {
    expect((await fetchWith()(redirect("/json"))).json()).toMatchObject({ ok: true });
    expect((await fetchWith()(redirect(`https://other.test:${HTTPS}/json`))).url).toBe(`https://other.test:${HTTPS}/json`);
  });

  it("turns POST into GET on 303 (and 301/302), keeps it on a same-origin 307/308", async () => {
    for (const status of [301, 302, 303]) {
      const res = await fetchWith()(redirect("/echo", status), { method: "POST", body: "a=1" });
      expect(res.json()).toMatchObject({ method: "GET", body: "" });
    }
    for (const status of [307, 308]) {
      const res = await fetchWith()(redirect("/echo", status), { method: "POST", body: "a=1" });
      expect(res.json()).toMatchObject({ method: "POST", body: "a=1" });
    }
  });

  it("never carries a body or credentials to another origin", async () => {
    await expectKind(fetchWith()(redirect(`https://other.test:${HTTPS}/echo`, 307), { method: "POST", body: "client_secret=s" }), "bad_redirect");
    const res = await fetchWith()(redirect(`https://other.test:${HTTPS}/echo`), {
      headers: { Authorization: "Bearer t", "X-Api-Key": "k", DPoP: "proof", "Mcp-Session-Id": "s", "User-Agent": "gatehouse-test" },
    });
    const sent = (res.json() as { headers: Record<string, string> }).headers;
    expect(sent["user-agent"]).toBe("gatehouse-test");
    for (const name of ["authorization", "x-api-key", "dpop", "mcp-session-id"]) expect(sent[name], name).toBeUndefined();
  });

  it("returns the redirect itself when asked to", async () => {
    const res = await fetchWith()(redirect("https://10.0.0.1/"), { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://10.0.0.1/");
  });
});

describe("limits", () => {
  it("reads 1 MiB, with or without Content-Length", async () => {
    expect((await fetchWith()(`https://svc.test:${HTTPS}/big?n=${MiB}&cl=1`)).body.length).toBe(MiB);
    expect((await fetchWith()(`https://svc.test:${HTTPS}/big?n=${MiB}`)).body.length).toBe(MiB);
  });

  it("refuses a byte more, whether Content-Length says so or not", async () => {
    await expectKind(fetchWith()(`https://svc.test:${HTTPS}/big?n=${MiB + 1}&cl=1`), "too_large");
    await expectKind(fetchWith()(`https://svc.test:${HTTPS}/big?n=${MiB + 1}`), "too_large");
    const started = Date.now();
    await expectKind(fetchWith()(`https://svc.test:${HTTPS}/declares-huge`), "too_large");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("times a body that never ends out by the same deadline", async () => {
    const started = Date.now();
    await expectKind(fetchWith({ timeoutMs: 400 })(`https://svc.test:${HTTPS}/trickle`), "timeout");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("gives up on a server that never answers after 5 s", async () => {
    const started = Date.now();
    await expectKind(fetchWith()(`https://svc.test:${HTTPS}/hang`), "timeout");
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(4900);
    expect(elapsed).toBeLessThan(6500);
  }, 10_000);

  it("refuses a body that is not JSON without quoting it", async () => {
    const res = await fetchWith()(`https://svc.test:${HTTPS}/not-json`);
    expect(() => res.json()).toThrow(OutboundError);
    try {
      res.json();
    } catch (err) {
      expect((err as OutboundError).kind).toBe("invalid_json");
      expect(String((err as Error).message)).not.toContain("BODY-MARKER");
    }
  });
});
