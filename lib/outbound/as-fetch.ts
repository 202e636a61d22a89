// outboundFetch behind the WHATWG fetch signature, for maintained client libraries that take a custom fetch
// (openid-client's `customFetch`, the MCP SDK's `fetchFn`): every request they make obeys the outbound rules.
import { outboundFetch } from "./fetch";

type FetchInit = { method?: string; headers?: HeadersInit | Record<string, string>; body?: unknown; redirect?: string };

// Framing headers are outboundFetch's own; a library's copy of them is dropped, never forwarded.
const FRAMING = new Set(["content-length", "accept-encoding", "connection", "keep-alive", "transfer-encoding", "host"]);

function plainHeaders(headers: FetchInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers((headers ?? {}) as HeadersInit).forEach((value, name) => {
    if (!FRAMING.has(name)) out[name] = value;
  });
  return out;
}

function bodyOf(body: unknown): string | Uint8Array | URLSearchParams | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof URLSearchParams || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new TypeError("outbound fetch: unsupported request body");
}

export async function outboundFetchAsFetch(input: string | URL | Request, init: FetchInit = {}): Promise<Response> {
  if (input instanceof Request) throw new TypeError("outbound fetch: pass a URL, not a Request");
  const method = (init.method ?? "GET").toUpperCase();
  if (method !== "GET" && method !== "POST") throw new TypeError("outbound fetch: only GET and POST");
  const { accept, ...headers } = plainHeaders(init.headers);
  const res = await outboundFetch(input, {
    method,
    headers,
    accept: accept ?? "application/json",
    body: bodyOf(init.body),
    redirect: init.redirect === "manual" || init.redirect === "error" ? "manual" : "follow",
  });
  const nullBody = res.status === 204 || res.status === 205 || res.status === 304;
  return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
}
