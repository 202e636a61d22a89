import "server-only";
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { LookupFunction } from "node:net";
import { getConfig, isTestRun } from "../config";
import { isForbiddenAddress } from "./address";
import { OutboundError } from "./outbound-error";

// SPEC §12, the one way Gatehouse fetches a provider- or user-supplied URL. Every hop: https, no userinfo, the
// name resolved once, every address checked, and the socket connected to one of those checked addresses (a
// `lookup` that answers only them, so DNS cannot change its mind between the check and the connect), with the
// original name for Host, SNI and the certificate check. Node's http client: no cookie jar, no proxy, no
// decompression (identity is asked for), nothing pooled across requests.

export const OUTBOUND_TIMEOUT_MS = 5_000;
export const OUTBOUND_MAX_RESPONSE_BYTES = 1024 * 1024;
export const OUTBOUND_MAX_REQUEST_BYTES = 64 * 1024;
export const OUTBOUND_MAX_REDIRECTS = 5;

export type OutboundRequest = {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string | Uint8Array | URLSearchParams;
  /** The Accept header; default application/json. */
  accept?: string;
  /** "manual" returns a 3xx as it is (e.g. for an OAuth client that treats redirects as errors). */
  redirect?: "follow" | "manual";
};

export type OutboundResponse = {
  status: number;
  headers: Headers;
  /** The URL that answered, after redirects. */
  url: string;
  body: Buffer;
  text(): string;
  json<T = unknown>(): T;
};

export type ResolvedAddress = { address: string; family: 4 | 6 };

export type OutboundOptions = {
  /** Tests only: host:port pairs in URL form that skip the address rules and may use http (default GATEHOUSE_OUTBOUND_ALLOW). */
  allow?: readonly string[];
  /** Tests only: a name resolver in place of the system's (its answers are still checked). */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Tests only: the CA that signed a test server's certificate. */
  ca?: string | Buffer;
  /** Tests only. */
  timeoutMs?: number;
};

// Ours to set, or meaningless on a fresh connection without a jar: a caller never chooses them.
const RESERVED_HEADERS = new Set([
  "host",
  "cookie",
  "cookie2",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "accept-encoding",
  "proxy-authorization",
  "proxy-connection",
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

function networkCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,64}$/.test(code) ? code : undefined;
}

function requestBody(body: OutboundRequest["body"]): { bytes?: Buffer; type?: string } {
  if (body === undefined) return {};
  if (body instanceof URLSearchParams) return { bytes: Buffer.from(body.toString()), type: "application/x-www-form-urlencoded" };
  return { bytes: typeof body === "string" ? Buffer.from(body) : Buffer.from(body) };
}

function callerHeaders(headers: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || RESERVED_HEADERS.has(lower) || lower.startsWith("proxy-") || lower.startsWith("sec-")) {
      throw new TypeError(`outboundFetch: the header ${JSON.stringify(name)} is not the caller's to set`);
    }
    if (/[\r\n\0]/.test(value)) throw new TypeError(`outboundFetch: the header ${JSON.stringify(name)} has a control character`);
    out[lower] = value;
  }
  return out;
}

/** The URL's host:port as GATEHOUSE_OUTBOUND_ALLOW spells it (hostname in WHATWG form, port always explicit). */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

/** Whether a URL's host:port (the default port counts) is one of GATEHOUSE_OUTBOUND_ALLOW's exceptions. */
export function isOutboundException(url: URL, allow: readonly string[] = getConfig().outboundAllow): boolean {
  return allow.includes(hostPort(url));
}

function checkedUrl(raw: string | URL, allow: readonly string[]): { url: URL; allowed: boolean } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError("invalid_url");
  }
  if (url.username || url.password) throw new OutboundError("credentials_in_url");
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new OutboundError("not_https");
  if (!url.hostname) throw new OutboundError("invalid_url");
  const allowed = isOutboundException(url, allow);
  if (url.protocol !== "https:" && !allowed) throw new OutboundError("not_https");
  return { url, allowed };
}

function untilDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new OutboundError("timeout"));
    const onAbort = () => reject(new OutboundError("timeout"));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Every address the name has, each one checked: one forbidden address refuses the name. */
async function addressesFor(url: URL, allowed: boolean, resolve: NonNullable<OutboundOptions["resolve"]>, signal: AbortSignal) {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await untilDeadline(resolve(host), signal);
    } catch (err) {
      if (err instanceof OutboundError) throw err;
      throw new OutboundError("network", networkCode(err));
    }
  }
  if (addresses.length === 0) throw new OutboundError("network", "ENOTFOUND");
  if (!allowed && addresses.some((a) => isIP(a.address) === 0 || isForbiddenAddress(a.address))) {
    // A literal says itself what it is; a name's answer stays as quiet as "does not resolve".
    throw new OutboundError(literal ? "forbidden_address" : "forbidden_resolved");
  }
  return { host, addresses };
}

const CROSS_ORIGIN_HEADERS = new Set(["accept", "accept-encoding", "accept-language", "user-agent"]);

/** Answers the socket's lookup with the checked addresses only, whatever it asks. */
function pinnedLookup(host: string, addresses: ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    if (hostname !== host) return callback(Object.assign(new Error("unexpected lookup"), { code: "ENOTFOUND" }), "", 4);
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (wanted.length === 0) return callback(Object.assign(new Error("no address"), { code: "ENOTFOUND" }), "", 4);
    if (options.all) return (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, wanted);
    const first = wanted[0] as ResolvedAddress;
    callback(null, first.address, first.family);
  };
}

type Hop = { status: number; headers: Headers; body: Buffer; location?: string };

function oneHop(
  url: URL,
  target: { host: string; addresses: ResolvedAddress[] },
  req: { method: string; headers: Record<string, string>; body?: Buffer; follow: boolean },
  signal: AbortSignal,
  ca: OutboundOptions["ca"],
): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    let settled = false;
    const fail = (err: OutboundError) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(err);
    };
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request({
      host: target.host,
      port: url.port || (url.protocol === "https:" ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: req.method,
      headers: { ...req.headers, host: url.host, ...(req.body ? { "content-length": String(req.body.length) } : {}) },
      lookup: pinnedLookup(target.host, target.addresses),
      agent: false,
      signal,
      ...(ca ? { ca } : {}),
    });
    request.on("error", (err) => fail(signal.aborted ? new OutboundError("timeout") : new OutboundError("network", networkCode(err))));
    request.on("response", (res) => {
      const headers = new Headers();
      try {
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i] ?? "", res.rawHeaders[i + 1] ?? "");
      } catch {
        return fail(new OutboundError("network", "ERR_INVALID_HEADER"));
      }
      const status = res.statusCode ?? 0;
      if (req.follow && REDIRECTS.has(status) && headers.has("location")) {
        settled = true;
        res.destroy();
        request.destroy();
        return resolve({ status, headers, body: Buffer.alloc(0), location: headers.get("location") ?? "" });
      }
      // Content-Length only lets us refuse early; the bytes are counted as they come, whatever it claimed.
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > OUTBOUND_MAX_RESPONSE_BYTES) return fail(new OutboundError("too_large"));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > OUTBOUND_MAX_RESPONSE_BYTES) return fail(new OutboundError("too_large"));
        chunks.push(chunk);
      });
      res.on("error", (err) => fail(signal.aborted ? new OutboundError("timeout") : new OutboundError("network", networkCode(err))));
      res.on("end", () => {
        if (settled) return;
        settled = true;
        resolve({ status, headers, body: Buffer.concat(chunks, size) });
      });
      res.on("close", () => {
        if (!res.complete) fail(signal.aborted ? new OutboundError("timeout") : new OutboundError("network", "ECONNRESET"));
      });
    });
    request.end(req.body);
  });
}

export function createOutboundFetch(options: OutboundOptions = {}) {
  // A deployment gets exactly the rules: its only exceptions come from GATEHOUSE_OUTBOUND_ALLOW, refused in production.
  if (Object.values(options).some((v) => v !== undefined) && !isTestRun()) {
    throw new Error("createOutboundFetch: options are for the test suite only");
  }
  const resolve = options.resolve ?? systemResolve;
  const timeoutMs = options.timeoutMs ?? OUTBOUND_TIMEOUT_MS;

  return async function outboundFetch(input: string | URL, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const allow = options.allow ?? getConfig().outboundAllow;
    let method = init.method ?? "GET";
    if (method !== "GET" && method !== "POST") throw new TypeError("outboundFetch: only GET and POST");
    const encoded = requestBody(init.body);
    let body = encoded.bytes;
    if (body && method !== "POST") throw new TypeError("outboundFetch: a body needs POST");
    if (body && body.length > OUTBOUND_MAX_REQUEST_BYTES) throw new TypeError("outboundFetch: the request body is too large");
    let headers: Record<string, string> = {
      "user-agent": "Gatehouse",
      ...(encoded.type ? { "content-type": encoded.type } : {}),
      ...callerHeaders({ accept: init.accept ?? "application/json", ...init.headers }),
      "accept-encoding": "identity",
    };

    // One deadline for the whole call, redirects included: connect, headers and body.
    const signal = AbortSignal.timeout(timeoutMs);
    let { url, allowed } = checkedUrl(input, allow);
    for (let redirects = 0; ; redirects++) {
      const target = await addressesFor(url, allowed, resolve, signal);
      const hop = await oneHop(url, target, { method, headers, body, follow: init.redirect !== "manual" }, signal, options.ca);
      if (hop.location === undefined) {
        const final = url.href;
        const text = () => hop.body.toString("utf8");
        return {
          status: hop.status,
          headers: hop.headers,
          url: final,
          body: hop.body,
          text,
          json<T>() {
            try {
              return JSON.parse(text()) as T;
            } catch {
              // V8's SyntaxError quotes the text it choked on.
              throw new OutboundError("invalid_json");
            }
          },
        };
      }
      if (redirects >= OUTBOUND_MAX_REDIRECTS) throw new OutboundError("too_many_redirects");
      let next: URL;
      try {
        if (!hop.location.trim()) throw new Error("empty Location");
        next = new URL(hop.location, url);
      } catch {
        throw new OutboundError("bad_redirect");
      }
      ({ url: next, allowed } = checkedUrl(next, allow));
      if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        const { "content-type": _dropped, ...rest } = headers;
        headers = rest;
      }
      if (next.origin !== url.origin) {
        // A body (a client secret, a code) goes only where the caller sent it; so does every header that could carry
        // a credential (Authorization, X-Api-Key, DPoP, Mcp-Session-Id, …): only the harmless ones cross origins.
        if (body) throw new OutboundError("bad_redirect");
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => CROSS_ORIGIN_HEADERS.has(name.toLowerCase())));
      }
      url = next;
    }
  };
}

/** The default: the system resolver, GATEHOUSE_OUTBOUND_ALLOW, 5 s, 1 MiB. */
export const outboundFetch = createOutboundFetch();
