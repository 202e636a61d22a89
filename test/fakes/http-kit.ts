// What the Telegram and Slack fakes share: a loopback node:http server that never crashes on its input, bounded
// bodies, the /__fake control plumbing and the dev inbox page. Plain Node ESM (tsx, Vitest and Playwright alike).
import http from "node:http";
import type { AddressInfo } from "node:net";

export const MAX_BODY_BYTES = 1024 * 1024;

export type FakeListenOptions = { port?: number; host?: "127.0.0.1" | "::1" };

/** A request the fake could not read: too large, not UTF-8/JSON/form, or a content type it does not take. */
export type BodyProblem = "too_large" | "malformed" | "unsupported";
export type Fields = Record<string, unknown>;

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void>;

export type RunningServer = {
  port: number;
  origin: string;
  /** Waits `ms`, or less if the client hangs up or the fake stops; false when nobody is listening any more. */
  pause(ms: number, req: http.IncomingMessage): Promise<boolean>;
  stop(): Promise<void>;
};

export async function startServer(handler: Handler, { port = 0, host = "127.0.0.1" }: FakeListenOptions): Promise<RunningServer> {
  const pending = new Set<() => void>();
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://fake.invalid");
    } catch {
      return sendJson(res, 400, { ok: false, error: "bad_request" });
    }
    handler(req, res, url).catch(() => {
      // A bug in the fake must show up as an answer, never as a dead server.
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: "fake_internal_error" });
      else res.destroy();
    });
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const origin = `http://${host === "::1" ? "[::1]" : host}:${bound}`;
  return {
    port: bound,
    origin,
    pause(ms, req) {
      if (ms <= 0) return Promise.resolve(!req.destroyed);
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          req.socket.off("close", done);
          resolve(!req.socket.destroyed);
        };
        const timer = setTimeout(done, ms);
        pending.add(done);
        req.socket.once("close", done);
      });
    },
    async stop() {
      for (const wake of [...pending]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The body, at most MAX_BODY_BYTES; more is refused before it is read (Content-Length) or as soon as it arrives. */
export function readBody(req: http.IncomingMessage): Promise<Buffer | "too_large"> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.resolve("too_large");
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | "too_large") => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        settle("too_large");
        req.resume();
      } else chunks.push(chunk);
    });
    req.on("end", () => settle(Buffer.concat(chunks)));
    req.on("error", () => settle(Buffer.alloc(0)));
    req.on("close", () => settle(Buffer.concat(chunks)));
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON or url-encoded fields, merged over the query string (both platforms accept parameters there too). */
export function parseFields(req: http.IncomingMessage, body: Buffer, url: URL): Fields | BodyProblem {
  const fields: Fields = Object.fromEntries(url.searchParams);
  if (body.length === 0) return fields;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return "malformed";
  }
  const type = String(req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || (type === "" && text.trimStart().startsWith("{"))) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return "malformed";
      return { ...fields, ...(parsed as Fields) };
    } catch {
      return "malformed";
    }
  }
  if (type === "application/x-www-form-urlencoded" || type === "") {
    return { ...fields, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  return "unsupported";
}

/** A field that may arrive JSON-encoded (form bodies) or as an object (JSON bodies). */
export function jsonField(value: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof value !== "string") return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) as unknown };
  } catch {
    return { ok: false };
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendTooLarge(res: http.ServerResponse, body: unknown) {
  sendJson(res, 413, body, { connection: "close" });
}

/** Control-plane bodies: JSON only, small, and never trusted. */
export async function readControlJson(req: http.IncomingMessage): Promise<unknown | BodyProblem> {
  const body = await readBody(req);
  if (body === "too_large") return "too_large";
  if (body.length === 0) return {};
  try {
    return JSON.parse(utf8.decode(body)) as unknown;
  } catch {
    return "malformed";
  }
}

export class ControlError extends Error {}

/** The shared part of every fake's /__fake routes; true when it answered. */
export async function handleCommonControl(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  platform: string,
  hooks: { calls(filter: { chat?: string; method?: string }): unknown[]; reset(): void; inbox(): string },
): Promise<boolean> {
  const route = `${req.method} ${url.pathname}`;
  if (route === "GET /__fake/health") {
    sendJson(res, 200, { ok: true, platform });
    return true;
  }
  if (route === "GET /__fake/calls") {
    const chat = url.searchParams.get("chat") ?? url.searchParams.get("channel") ?? undefined;
    const method = url.searchParams.get("method") ?? undefined;
    sendJson(res, 200, hooks.calls({ chat, method }));
    return true;
  }
  if (route === "POST /__fake/reset") {
    await readBody(req);
    hooks.reset();
    sendJson(res, 200, { ok: true });
    return true;
  }
  if (route === "GET /__fake/inbox") {
    const html = hooks.inbox();
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      "referrer-policy": "no-referrer",
      "x-content-type-options": "nosniff",
    });
    res.end(html);
    return true;
  }
  return false;
}

/** One script entry or a list of them, validated by `parse` (which throws ControlError with a reason). */
export async function handleScript<T>(req: http.IncomingMessage, res: http.ServerResponse, parse: (raw: unknown) => T, apply: (spec: T) => void) {
  const raw = await readControlJson(req);
  if (raw === "too_large") return sendTooLarge(res, { ok: false, error: "too_large" });
  if (raw === "malformed") return sendJson(res, 400, { ok: false, error: "body must be JSON" });
  try {
    const specs = (Array.isArray(raw) ? raw : [raw]).map(parse);
    specs.forEach(apply);
    sendJson(res, 200, { ok: true });
  } catch (err) {
    if (!(err instanceof ControlError)) throw err;
    sendJson(res, 400, { ok: false, error: err.message });
  }
}

// Small validators for control bodies, so the fakes need nothing beyond Node.
export function obj(raw: unknown, what: string): Record<string, unknown> {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ControlError(`${what} must be an object`);
  return raw as Record<string, unknown>;
}
export function idOf(raw: unknown, what: string): string {
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return String(raw);
  if (typeof raw === "string" && /^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) return raw;
  throw new ControlError(`${what} must be an integer or a short id string`);
}
export function optionalString(raw: unknown, what: string, max = 256): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || raw.length > max) throw new ControlError(`${what} must be a string of at most ${max} characters`);
  return raw;
}
export function optionalInt(raw: unknown, what: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max) throw new ControlError(`${what} must be an integer in ${min}..${max}`);
  return raw;
}
export function oneOf<T extends string>(raw: unknown, what: string, values: readonly T[]): T {
  if (typeof raw !== "string" || !(values as readonly string[]).includes(raw)) throw new ControlError(`${what} must be one of ${values.join(", ")}`);
  return raw as T;
}
export function optionalStrings(raw: unknown, what: string): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > 1000 || raw.some((m) => typeof m !== "string" || m.length > 64)) {
    throw new ControlError(`${what} must be a list of short strings`);
  }
  return raw as string[];
}

/** A scripted error that applies to some methods (all when unset), for the next `times` calls (always when unset). */
export type Scripted<E> = E & { methods?: string[]; times?: number };

export function takeScripted<E>(error: Scripted<E> | undefined, method: string): Scripted<E> | undefined {
  if (!error) return undefined;
  if (error.methods && !error.methods.includes(method)) return undefined;
  if (error.times !== undefined) {
    if (error.times <= 0) return undefined;
    error.times -= 1;
  }
  return error;
}

export function filterCalls<C extends { chat?: string; method: string }>(calls: C[], filter: { chat?: string | number; method?: string } = {}): C[] {
  return calls
    .filter((c) => (filter.chat === undefined || c.chat === String(filter.chat)) && (filter.method === undefined || c.method === filter.method))
    .map((c) => structuredClone(c));
}

// ---- the dev inbox -------------------------------------------------------------------------------------------

export type InboxButton = { label: string; url: string; kind: string };
export type InboxMessage = { at: string; text: string; buttons: InboxButton[]; notes: string[] };
export type InboxGroup = { key: string; title: string; subtitle: string; messages: InboxMessage[] };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function safeHref(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** Newest group first (by its newest message), newest message first inside it. */
export function groupInbox(messages: Array<InboxMessage & { group: string; title: string; subtitle: string }>): InboxGroup[] {
  const groups = new Map<string, InboxGroup>();
  for (const m of [...messages].reverse()) {
    const group = groups.get(m.group) ?? { key: m.group, title: m.title, subtitle: m.subtitle, messages: [] };
    group.messages.push({ at: m.at, text: m.text, buttons: m.buttons, notes: m.notes });
    groups.set(m.group, group);
  }
  return [...groups.values()];
}

export function renderInbox(platform: string, groups: InboxGroup[]): string {
  const total = groups.reduce((n, g) => n + g.messages.length, 0);
  const sections = groups
    .map((g, i) => {
      const items = g.messages
        .map((m) => {
          const buttons = m.buttons
            .map((b) => {
              const href = safeHref(b.url);
              const label = `${escapeHtml(b.label)} <span class="kind">${escapeHtml(b.kind)}</span>`;
              return href
                ? `<a class="button" href="${escapeHtml(href)}" rel="noreferrer" target="_blank">${label}<span class="sr-only"> (opens in a new tab)</span></a>`
                : `<span class="button disabled" title="not an http(s) URL">${label}</span>`;
            })
            .join("");
          const notes = m.notes.map((n) => `<span class="note">${escapeHtml(n)}</span>`).join("");
          return `<li class="message"><div class="meta"><time datetime="${escapeHtml(m.at)}">${escapeHtml(m.at.replace("T", " ").replace("Z", " UTC"))}</time>${notes}</div><p class="text">${escapeHtml(m.text)}</p>${buttons ? `<div class="buttons">${buttons}</div>` : ""}</li>`;
        })
        .join("");
      return `<section class="chat" aria-labelledby="chat-${i}"><h2 id="chat-${i}">${escapeHtml(g.title)}</h2><p class="subtitle">${escapeHtml(g.subtitle)} · ${g.messages.length} message${g.messages.length === 1 ? "" : "s"}</p><ol class="messages">${items}</ol></section>`;
    })
    .join("");
  const title = `${platform} fake inbox`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="2">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --fg: #1b1f24; --muted: #5b6470; --accent: #2457d6; --line: #dde1e6; }
@media (prefers-color-scheme: dark) { :root { --bg: #101317; --card: #1a1f26; --fg: #e8ebef; --muted: #a2abb6; --accent: #7ea6ff; --line: #2c333d; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header, main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
h2 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
.subtitle, .meta, header p { color: var(--muted); font-size: .85rem; margin: .15rem 0 0; }
.chat { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem; margin: 0 0 1rem; }
.messages { list-style: none; margin: .75rem 0 0; padding: 0; }
.message { border-top: 1px solid var(--line); padding: .75rem 0; }
.message:first-child { border-top: 0; padding-top: 0; }
.meta { display: flex; flex-wrap: wrap; gap: .5rem; }
.note { border: 1px solid var(--line); border-radius: 999px; padding: 0 .5rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .35rem 0; }
.buttons { display: flex; flex-wrap: wrap; gap: .5rem; }
.button { display: inline-block; padding: .45rem .9rem; border-radius: .5rem; background: var(--accent); color: var(--card); text-decoration: none; font-weight: 600; overflow-wrap: anywhere; }
.button:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
.button.disabled { background: var(--line); color: var(--muted); }
.kind { font-weight: 400; opacity: .8; font-size: .8em; }
.empty { color: var(--muted); text-align: center; padding: 3rem 1rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p>Development only. ${total} message${total === 1 ? "" : "s"} in ${groups.length} chat${groups.length === 1 ? "" : "s"}, newest first; refreshes every 2 s.</p></header>
<main>${sections || `<p class="empty">Nothing delivered yet.</p>`}</main>
</body>
</html>
`;
}
