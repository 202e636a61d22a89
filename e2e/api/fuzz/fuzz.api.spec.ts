// A generated, seeded fuzz run against the production build (SPEC §11): ≥ 10,000 hostile requests over every
// route and page on disk (a new one is covered without touching this file), asserting no 5xx, the JSON error shape
// under /api, an HTML page elsewhere, and that no token, link id or session id a request sent comes back.
// Reproduce a run with FUZZ_SEED=<printed seed>; a failure prints the exact request and a curl line for it.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import { test, expect } from "@playwright/test";
import { addMemberAsync, createWorkspaceAsync, issueServiceToken, openPortalSession, settingsLinkIdAsync, startJob } from "../../helpers/api-seed";
import { randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL } from "../../helpers/env";
import { routeTable } from "../../../scripts/lib/route-table.mjs";

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 16;
const SEED = Number(process.env.FUZZ_SEED ?? randomBytes(4).readUInt32LE());
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

// --- Seeded randomness (mulberry32): the same seed sends the same requests. ---
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => next() < p;
  const b64url = (n: number) => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    return Array.from({ length: n }, () => alphabet[int(64)]).join("");
  };
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
  return { next, int, pick, chance, b64url, hex };
}
type Rng = ReturnType<typeof rng>;

// --- Route templates from the app directory, as Next maps them (the table the build inlines, too). ---
type Template = { segments: string[]; methods: string[]; kind: "route" | "page" };

function routeTemplates(): Template[] {
  return routeTable().map(({ template, methods, kind }) => ({ segments: template.split("/").filter(Boolean), methods, kind }));
}

// --- Hostile values. ---
const MALFORMED = ["%ZZ", "%", "%E0%A4%A", "%FF%FE", "%00", "%C0%AE%C0%AE", "%2e%2e", "..", ".", "%2F", "%5C", ";", "%20", "%0d%0a"];
const UNICODE = ["%E2%9C%93", "%F0%9F%98%80", "%D8%A7%D9%84", "%E2%80%AE", "%EF%BB%BF", "%C3%A9"];

function segment(r: Rng, secrets: string[], api: boolean): string {
  switch (r.int(9)) {
    case 0:
      return r.pick(MALFORMED);
    case 1:
      return r.pick(UNICODE).repeat(1 + r.int(40));
    case 2:
      return "a".repeat(r.pick([256, 2048, 9000]));
    case 3:
      return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-8${r.hex(3)}-${r.hex(12)}`;
    case 4:
      return r.pick(["00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", "1", "-1", "1e309", "null", "undefined", "__proto__", "constructor"]);
    case 5: {
      if (!api) return r.b64url(r.int(20) + 1);
      const token = `${r.pick(["gh_job_", "gh_svc_", ""])}${r.b64url(43)}`;
      secrets.push(token);
      return token;
    }
    case 6:
      return `${r.pick(MALFORMED)}${r.b64url(5)}${r.pick(UNICODE)}`;
    case 7:
      return r.pick(["RACE_k", "OPENAI_API_KEY", "a-b", "A".repeat(65), "x%2Fy", "%27%22%3C%3E"]);
    default:
      return r.b64url(1 + r.int(30));
  }
}

function pathFor(r: Rng, t: Template, secrets: string[]): string {
  const api = t.segments[0] === "api";
  const parts: string[] = [];
  for (const s of t.segments) {
    if (s.startsWith("[...")) {
      const n = 1 + r.int(4);
      for (let i = 0; i < n; i++) parts.push(segment(r, secrets, api));
    } else if (s.startsWith("[")) parts.push(segment(r, secrets, api));
    else parts.push(r.chance(0.05) ? segment(r, secrets, api) : r.chance(0.03) ? s.toUpperCase() : s);
  }
  if (r.chance(0.05)) parts.push(r.pick(["..", "%2e%2e", "extra", ""]));
  return `/${parts.join("/")}`;
}

const QUERY_KEYS = ["s", "before", "after", "cursor", "limit", "callbackUrl", "error", "state", "code", "workspace", "page", "q", "__proto__", "x"];

function queryValue(r: Rng, secrets: string[], key: string): string {
  if (key === "s" || key === "code" || key === "state") {
    const id = r.b64url(r.pick([43, 43, 12, 200]));
    secrets.push(id);
    return id;
  }
  return r.pick([
    "2147483648", "1e300", "9007199254740993", "-1", "0", "NaN", "Infinity", "99999999999999999999999",
    "javascript:alert(1)", "//evil.example", "https://evil.example/", "/settings", "x", "",
    "%ZZ", "%", "a".repeat(5000), "%F0%9F%98%80", "[]", "{}", "null", "true", "access_denied", "Cancelled",
  ]);
}

function queryFor(r: Rng, secrets: string[]): string {
  if (r.chance(0.5)) return "";
  const n = 1 + r.int(4);
  const pairs = Array.from({ length: n }, () => {
    const key = r.pick(QUERY_KEYS);
    return r.chance(0.1) ? key : `${key}=${queryValue(r, secrets, key)}`;
  });
  return `?${pairs.join("&")}`;
}

type Real = { session: string; serviceToken: string; jobToken: string; jobId: string; linkIds: string[] };

function headersFor(r: Rng, secrets: string[], real: Real): Record<string, string> {
  const h: Record<string, string> = { "X-Forwarded-For": `10.${r.int(256)}.${r.int(256)}.${1 + r.int(254)}` };
  const token = (prefix: string) => {
    const t = `${prefix}${r.b64url(r.pick([43, 43, 10, 300]))}`;
    secrets.push(t);
    return t;
  };
  if (r.chance(0.5)) {
    h.Authorization = r.pick([
      () => `Bearer ${token("gh_job_")}`,
      () => `Bearer ${token("gh_svc_")}`,
      () => `Bearer ${real.serviceToken}`,
      () => `Bearer ${real.jobToken}`,
      () => `Basic ${Buffer.from(`${token("")}:x`).toString("base64")}`,
      () => "Bearer",
      () => "Bearer ",
      () => `bearer  ${token("gh_job_")} extra`,
      () => `Bearer ${"x".repeat(9000)}`,
      () => `Token ${token("gh_svc_")}`,
      () => `Bearer ${token("gh_job_")}%ZZ`,
    ])();
  }
  if (r.chance(0.6)) {
    const cookies: string[] = [];
    const n = 1 + r.int(3);
    for (let i = 0; i < n; i++) {
      cookies.push(
        r.pick([
          () => `gh_session=${token("")}`,
          () => `gh_session=${real.session}`,
          () => `gh_pending=${token("")}`,
          () => `gh_session=${real.session}; gh_session=${token("")}`,
          () => `__Host-gh_session=${token("")}`,
          () => `authjs.session-token=${token("")}`,
          () => `authjs.session-token.0=${token("")}`,
          () => "authjs.callback-url=x",
          () => `authjs.callback-url=${r.pick(["javascript%3Aalert(1)", "%ZZ", "http%3A%2F%2Fevil.example", "a".repeat(3000)])}`,
          () => `authjs.csrf-token=${token("")}%7C${r.hex(64)}`,
          () => `__Secure-authjs.callback-url=${r.pick(["x", "%"])}`,
          () => "authjs.pkce.code_verifier=%ZZ",
          () => `authjs.state=${token("")}`,
          () => "=; ; =x; gh_session",
        ])(),
      );
    }
    h.Cookie = cookies.join("; ");
  }
  if (r.chance(0.4)) h.Origin = r.pick([E2E_BASE_URL, "null", "https://evil.example", "http://localhost:1", ""]);
  if (r.chance(0.1)) h["Sec-Fetch-Site"] = r.pick(["same-origin", "cross-site", "none"]);
  if (r.chance(0.05)) h["x-gatehouse-link-id"] = r.pick(real.linkIds);
  if (r.chance(0.05)) h["X-Auth-Return-Redirect"] = "1";
  if (r.chance(0.05)) h.Accept = r.pick(["application/json", "text/html", "*/*", "text/x-component"]);
  if (r.chance(0.03)) h.RSC = "1";
  if (r.chance(0.03)) h["Next-Router-State-Tree"] = r.pick(["%ZZ", "[]", "x".repeat(2000), '["",{"children":["__PAGE__",{}]}]']);
  if (r.chance(0.03)) h["Next-Action"] = r.hex(r.pick([40, 42, 3]));
  return h;
}

function deep(n: number): string {
  return `${"[".repeat(n)}${"]".repeat(n)}`;
}

function bodyFor(r: Rng, secrets: string[]): { body?: Buffer; contentType?: string } {
  const secret = () => {
    const s = r.b64url(43);
    secrets.push(s);
    return s;
  };
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const choice = r.int(14);
  const contentType = r.pick([
    "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/json, text/html", "application/octet-stream", "", "application/json; charset=utf-16",
  ]);
  const bodies: Array<() => Buffer> = [
    () => json(r.pick([null, 0, -1, 1e308, "x", [], {}, true])),
    () => Buffer.from(r.pick(["{", "{\"a\":", "[1,", "\"unterminated", "nul\u0000l", "{\"a\":1}{\"b\":2}", "\uFEFF{}"])),
    () => json({ initData: r.pick([5, [], {}, "user=1&hash=abc", "a".repeat(5000), `auth_date=1&hash=${r.hex(64)}&user=%7B%22id%22%3A1%7D`]), workspaceId: r.pick(["x", 1, null, "00000000-0000-0000-0000-000000000000"]) }),
    () => json({ value: r.pick([secret(), 5, {}, [], null, "a".repeat(70_000)]), name: r.pick(["OK", 1, "../x", "A".repeat(100)]) }),
    () => json({ user: r.pick([{ platform: 1, id: [] }, { platform: "telegram", id: "1".repeat(100) }, "x", null]), grants: r.pick(["x", [{}], [{ secret: 1, envVar: [] }], Array.from({ length: 500 }, () => ({ secret: "A", envVar: "B" }))]), ttlSeconds: r.pick([-1, 1e20, "60", 0.5]) }),
    () => json({ __proto__: { admin: true }, constructor: { prototype: { x: 1 } } }),
    () => Buffer.from(deep(r.pick([100, 5000]))),
    () => Buffer.from(`s=${secret()}&name=${r.pick(["%ZZ", "OK", "A".repeat(300)])}&value=${secret()}&csrfToken=${secret()}&callbackUrl=${r.pick(["javascript:alert(1)", "%2F"])}`),
    () => Buffer.from(`s=${r.pick(["%ZZ", "%", "a".repeat(5000)])}&s=${secret()}`),
    () => Buffer.alloc(r.chance(0.05) ? 1_100_000 : r.pick([10, 5000, 70_000]), r.pick(["a", "{", "\u0000"])),
    () => Buffer.from("--x\r\nContent-Disposition: form-data; name=\"s\"\r\n\r\n" + secret() + "\r\n--x--\r\n"),
    () => randomBytesFrom(r, 256),
    () => json(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]))),
    () => Buffer.alloc(0),
  ];
  return { body: bodies[choice]!(), contentType: contentType || undefined };
}

function randomBytesFrom(r: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => r.int(256)));
}

/**
 * `secrets`: values sent in headers, cookies and bodies, which must never come back anywhere. `urlSecrets`: values
 * sent in the URL, which must never come back in a header or an API body; an HTML page may carry its own URL in
 * Next's hydration data (the requester's own address, escaped), so pages are not held to that for URL values.
 */
type Sent = { index: number; method: string; path: string; template: string; headers: Record<string, string>; body?: Buffer; secrets: string[]; urlSecrets: string[] };
type Got = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const base = new URL(E2E_BASE_URL);

function send(req: Sent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body) headers["Content-Length"] = req.body.length;
    // A generous header limit, so an oversized response header is reported by name instead of as a parse error.
    const r = http.request({ host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent, timeout: 20_000, maxHeaderSize: 1 << 20 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < 2_000_000) chunks.push(c);
        size += c.length;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    r.on("timeout", () => r.destroy(new Error("timed out after 20 s")));
    r.on("error", reject);
    r.end(req.body);
  });
}

function problems(req: Sent, res: Got): string[] {
  const out: string[] = [];
  // Where the server routes it: `..` and `%2e%2e` segments are resolved before any route sees the path.
  const routed = new URL(req.path, E2E_BASE_URL).pathname;
  const api = routed.startsWith("/api/") || routed === "/api";
  const type = String(res.headers["content-type"] ?? "");
  const text = res.body.toString("utf8");
  if (res.status >= 500) out.push(`status ${res.status}`);
  // Next's redirects to the same resource (trailing slash, `..`) carry the requester's own URL back: in Location,
  // Refresh and a "Redirecting…" body.
  const redirect = res.status >= 300 && res.status < 400;
  const ownUrl = (k: string) => redirect && (k === "location" || k === "refresh");
  const big = Object.entries(res.headers).filter(([k, v]) => String(v).length > 4096 && !ownUrl(k)).map(([k]) => k);
  if (big.length) out.push(`oversized response header (${big.join(", ")})`);
  // Node's HTTP server refuses request headers over its 16 KB limit with a bare 431 before any of our code runs.
  const transportRefusal = res.status === 431 && res.body.length === 0;
  if (res.status >= 400 && req.method !== "HEAD" && !transportRefusal) {
    if (api) {
      let shaped = false;
      try {
        const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
        shaped = typeof body.error?.code === "string" && /^[a-z_]+$/.test(body.error.code) && typeof body.error.message === "string";
      } catch {
        shaped = false;
      }
      if (!shaped || !type.startsWith("application/json")) out.push(`API error not in the JSON shape (${type || "no content-type"}): ${text.slice(0, 120)}`);
    } else if (req.headers.RSC === "1" && type.startsWith("text/x-component")) {
      // A client-side navigation gets the error page as Next's flight payload, which the browser renders.
    } else if (!type.startsWith("text/html") || !/<html/i.test(text)) {
      out.push(`non-API error is not an HTML page (${type || "no content-type"}): ${text.slice(0, 120)}`);
    }
  }
  const html = type.startsWith("text/html") || type.startsWith("text/x-component");
  for (const s of [...req.secrets, ...req.urlSecrets]) {
    if (s.length < 10) continue;
    // A redirect to the same resource (Next's trailing-slash 308) carries the requester's own URL back.
    const fromUrl = req.urlSecrets.includes(s);
    const echoedIn = Object.entries(res.headers).filter(([k, v]) => String(v).includes(s) && !(fromUrl && (ownUrl(k) || k === "location")));
    if (echoedIn.length) out.push(`echoed a secret in a header (${echoedIn.map(([k]) => k).join(", ")}: ${s.slice(0, 6)}…)`);
    if (text.includes(s) && (req.secrets.includes(s) || !(html || redirect))) out.push(`echoed a secret in the body (${s.slice(0, 6)}…)`);
  }
  return out;
}

/** A curl line for the request (long values cut, unless `full`) and its index: FUZZ_SEED=… FUZZ_ONLY=<index> sends it alone. */
function reproduce(req: Sent, full = false): string {
  const cut = (v: string) => (full || v.length <= 300 ? v : `${v.slice(0, 300)}…`);
  const headers = Object.entries(req.headers).map(([k, v]) => `-H ${JSON.stringify(`${k}: ${cut(v)}`)}`);
  const text = req.body?.toString("latin1") ?? "";
  const body = req.body?.length ? ` --data-binary ${JSON.stringify(full || text.length <= 300 ? text : `${text.slice(0, 300)}… (${req.body.length} bytes)`)}` : "";
  return `[#${req.index}] curl -i --path-as-is -X ${req.method} ${headers.join(" ")}${body} '${E2E_BASE_URL}${cut(req.path)}'`;
}

test("≥ 10,000 generated hostile requests over every route: no 5xx, the error shapes, nothing echoed", async ({ playwright }, testInfo) => {
  // ~2 min on the 2-core machine beside other work; the bound is for a machine busy with other jobs.
  test.setTimeout(300_000);
  testInfo.annotations.push({ type: "seed", description: String(SEED) });
  console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} reproduces this run)`);

  const ws = await createWorkspaceAsync("Fuzz Owner");
  // Three live links, of three people: a new link ends its user's earlier unused one (SPEC §7).
  const members = [randomTelegramId(), randomTelegramId()];
  const [serviceToken, linkIds] = await Promise.all([
    issueServiceToken(ws.workspaceId).then((t) => t.token),
    Promise.all([
      settingsLinkIdAsync(ws.workspaceId, ws.ownerTelegramId),
      ...members.map((id, i) => addMemberAsync(ws.workspaceId, id, `Fuzz Member ${i}`).then(() => settingsLinkIdAsync(ws.workspaceId, id))),
    ]),
  ]);
  const session = await openPortalSession(playwright, linkIds[0]!);
  const api = await playwright.request.newContext();
  const job = await startJob(api, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId } });
  await api.dispose();
  const real: Real = { session, serviceToken, jobToken: job.token, jobId: job.jobId, linkIds: linkIds.slice(1) };

  // A client's copy of the proxy's link-id header is dropped: the interstitial it reaches knows no link.
  const injected = await playwright.request.newContext();
  const viaHeader = await injected.get(`${E2E_BASE_URL}/settings/link`, { headers: { "x-gatehouse-link-id": real.linkIds[0]!, "X-Forwarded-For": "10.250.0.1" } });
  expect(viaHeader.status()).toBe(410);
  expect(await viaHeader.text()).not.toContain(real.linkIds[0]!);
  await injected.dispose();

  const templates = routeTemplates();
  expect(templates.length).toBeGreaterThan(20);
  const r = rng(SEED);
  const pages = templates.filter((t) => t.kind === "page");
  const routes = templates.filter((t) => t.kind === "route");
  const all: Sent[] = Array.from({ length: REQUESTS }, (_, index) => {
    // A page render costs ~10× a route's answer on 2 cores: pages get a tenth of the requests (still ~100 each).
    const t = r.chance(0.1) ? r.pick(pages) : r.pick(routes);
    // The real credentials are what gets past authentication, deep into the code: they must never come back either.
    const secrets: string[] = [real.session, real.serviceToken, real.jobToken, ...real.linkIds];
    const urlSecrets: string[] = [];
    const method = r.chance(0.7) && t.methods.length ? r.pick(t.methods) : r.pick(METHODS);
    const p = pathFor(r, t, urlSecrets);
    const q = queryFor(r, urlSecrets);
    const headers = headersFor(r, secrets, real);
    let body: Buffer | undefined;
    if (method !== "GET" && method !== "HEAD" && r.chance(0.85)) {
      const b = bodyFor(r, secrets);
      body = b.body;
      if (b.contentType) headers["Content-Type"] = b.contentType;
    }
    return { index, method, path: `${p}${q}`, template: `/${t.segments.join("/")}`, headers, body, secrets, urlSecrets };
  });

  // Grouped by what went wrong where, each group with its first request in full: one line per bug, not per request.
  const only = process.env.FUZZ_ONLY === undefined ? null : new Set(process.env.FUZZ_ONLY.split(",").map(Number));
  const requests = only ? all.filter((req) => only.has(req.index)) : all;
  const failures = new Map<string, { count: number; example: string; full: string }>();
  const fail = (req: Sent, problem: string) => {
    const key = `${problem.replace(/ \([^)]*\)/, "").split(":")[0]} · ${req.method} ${req.template}`;
    const group = failures.get(key) ?? { count: 0, example: `${problem}\n  ${reproduce(req)}`, full: `${problem}\n  ${reproduce(req, true)}` };
    group.count += 1;
    failures.set(key, group);
  };
  const statuses = new Map<number, number>();
  const timing = new Map<string, number>();
  const started = Date.now();
  let nextIndex = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (nextIndex < requests.length) {
        const req = requests[nextIndex++]!;
        let res: Got;
        const t0 = Date.now();
        try {
          res = await send(req);
          const k = `${req.method === "GET" || req.method === "HEAD" ? "read" : "write"} ${req.template}`;
          timing.set(k, (timing.get(k) ?? 0) + (Date.now() - t0));
        } catch (err) {
          // Over Node's 16 KB header limit the server answers 431 and closes while a large body is still being sent.
          const headerBytes = Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, req.path.length);
          if (headerBytes > 16_000 && /ECONNRESET|EPIPE/.test((err as Error).message)) {
            statuses.set(431, (statuses.get(431) ?? 0) + 1);
            continue;
          }
          fail(req, (err as Error).message);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const found = problems(req, res);
        for (const problem of found) fail(req, problem);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(" ");
  const slowest = [...timing.entries()].sort(([, a], [, b]) => b - a).slice(0, 6).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(0)} s`);
  console.log(`fuzz: most time (summed over ${CONCURRENCY} connections): ${slowest.join("; ")}`);
  console.log(`fuzz: ${requests.length} requests over ${templates.length} templates in ${seconds.toFixed(1)} s; statuses ${summary}`);
  const everything = [...failures.entries()].sort(([, a], [, b]) => b.count - a.count).map(([key, g]) => `${g.count}× ${key}\n  e.g. ${g.full}`);
  writeFileSync(testInfo.outputPath("failures.txt"), everything.join("\n\n"));
  const report = [...failures.entries()].sort(([, a], [, b]) => b.count - a.count).map(([key, g]) => `${g.count}× ${key}\n  e.g. ${g.example}`);
  expect(report, `seed ${SEED}: ${failures.size} kinds of failing request`).toEqual([]);
  if (!only) expect(requests.length).toBeGreaterThanOrEqual(10_000);
});
