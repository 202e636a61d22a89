// Standalone HTML pages for the link flow (interstitial, expired, mismatch, rate limited…). Route handlers
// return these directly so each gets its exact status code and headers. Only the link interstitial runs a script (a nonce'd inline one).

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Interpolated values are escaped; wrap trusted markup in `raw()`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Raw ? x.value : escape(String(x)))).join("") : v instanceof Raw ? v.value : escape(String(v ?? ""));
    out += part + strings[i + 1]!;
  });
  return new Raw(out);
}

export class Raw {
  constructor(readonly value: string) {}
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px;
background:#f8fafc;color:#0f172a;font:16px/1.5 ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{width:100%;max-width:28rem;background:#fff;border:1px solid #e2e8f0;border-radius:1rem;box-shadow:0 1px 3px rgb(0 0 0/.06);padding:2rem}
.brand{margin:0 0 1rem;font-size:.75rem;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:#4338ca}
h1{margin:0 0 .5rem;font-size:1.375rem;line-height:1.3}p{margin:.5rem 0;color:#334155}strong{color:#0f172a}
.icon{width:2.5rem;height:2.5rem;border-radius:9999px;display:flex;align-items:center;justify-content:center;margin-bottom:1rem;font-weight:700}
.ok{background:#e0e7ff;color:#3730a3}.warn{background:#fef3c7;color:#92400e}.bad{background:#fee2e2;color:#991b1b}
button{margin-top:1.25rem;width:100%;padding:.75rem 1rem;border:0;border-radius:.625rem;background:#4338ca;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:hover{background:#3730a3}:focus-visible{outline:3px solid #4f46e5;outline-offset:2px}
.fine{margin-top:1rem;font-size:.875rem;color:#64748b}`;

export type StandalonePage = {
  status: number;
  title: string;
  tone: "ok" | "warn" | "bad";
  body: Raw;
  headers?: Record<string, string>;
  /** One inline script, allowed by the request's CSP nonce (proxy.ts). Pages without one load no script at all. */
  script?: { nonce: string; source: string };
};

export const LINK_PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Robots-Tag": "noindex, nofollow",
} as const;

export function renderPage({ status, title, tone, body, headers, script }: StandalonePage): Response {
  const mark = tone === "ok" ? "→" : tone === "warn" ? "!" : "×";
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">
<title>${title} · Gatehouse</title><style>${new Raw(STYLE)}</style></head>
<body><main><p class="brand">Gatehouse</p><div class="icon ${tone}" aria-hidden="true">${mark}</div>
<h1>${title}</h1>${body}</main>${script ? html`<script nonce="${script.nonce}">${new Raw(script.source)}</script>` : ""}</body></html>`;
  return new Response(doc.value, { status, headers: { ...LINK_PAGE_HEADERS, ...headers } });
}

export const pages = {
  expired: () =>
    renderPage({
      status: 410,
      tone: "warn",
      title: "This link can no longer be opened",
      body: html`<p>This link has expired or was already used. Ask your agent for a new one.</p>
<p class="fine">Settings links work once and only for a short time, so nobody else can reuse them.</p>`,
    }),
  mismatch: () =>
    renderPage({
      status: 403,
      tone: "bad",
      title: "This link was sent to a different account",
      body: html`<p>You signed in with an account that is not the one this link belongs to, so nothing was changed.</p>
<p>Ask your agent for a new link and sign in with the account you used before.</p>`,
    }),
  telegramMismatch: () =>
    renderPage({
      status: 403,
      tone: "bad",
      title: "This link was sent to a different account",
      body: html`<p>You opened it from a Telegram account that is not the one this link belongs to, so nothing was opened or changed.</p>
<p>If this link was meant for you, ask your agent for a new one from your own chat.</p>`,
    }),
  rateLimited: (retryAfter: string) =>
    renderPage({
      status: 429,
      tone: "warn",
      title: "Too many attempts",
      headers: { "Retry-After": retryAfter },
      body: html`<p>We received too many requests from your network. Wait about ${retryAfter} seconds, then try again.</p>`,
    }),
  crossOrigin: () =>
    renderPage({
      status: 403,
      tone: "bad",
      title: "This request did not come from Gatehouse",
      body: html`<p>For your safety we only accept this form from Gatehouse's own pages. Nothing was changed.</p>
<p>Open the settings link from your chat again.</p>`,
    }),
  badRequest: () =>
    renderPage({
      status: 400,
      tone: "bad",
      title: "Something was wrong with that request",
      body: html`<p>The form was incomplete or malformed. Nothing was changed.</p><p>Open the settings link from your chat again.</p>`,
    }),
  notFound: () =>
    renderPage({
      status: 404,
      tone: "warn",
      title: "There is no page at this address",
      body: html`<p>The address may be mistyped, or the page has moved. Nothing was changed.</p>
<p>Open the settings link from your chat again, or go to <a href="/">the Gatehouse home page</a>.</p>`,
    }),
  methodNotAllowed: (allow: string) =>
    renderPage({
      status: 405,
      tone: "bad",
      title: "This page does not take that kind of request",
      headers: { Allow: allow },
      body: html`<p>Your browser sent a request this address does not answer, so nothing was changed.</p>
<p>Open the settings link from your chat again, or go to <a href="/">the Gatehouse home page</a>.</p>`,
    }),
  unavailable: () =>
    renderPage({
      status: 503,
      tone: "warn",
      title: "Gatehouse is temporarily unavailable",
      headers: { "Retry-After": "5" },
      body: html`<p>Part of Gatehouse did not answer, so we stopped without changing anything.</p>
<p>Try again in a moment. If the link no longer works, ask your agent for a new one.</p>`,
    }),
  forbidden: () =>
    renderPage({
      status: 403,
      tone: "bad",
      title: "You can't do that here",
      body: html`<p>This account is not allowed to do that, so nothing was changed.</p><p>Open the settings link from your chat again.</p>`,
    }),
  notAdmin: () =>
    renderPage({
      status: 403,
      tone: "bad",
      title: "The admin console is for owners and admins",
      body: html`<p>The account you used is not an owner or admin of this workspace, so the admin console is closed to it.</p><p>If you should be an admin, ask an owner of the workspace to make you one, then open a new admin link.</p>`,
    }),
  noAdminSession: () =>
    renderPage({
      status: 401,
      tone: "warn",
      title: "Your admin session has ended",
      body: html`<p>Admin sessions end after 15 minutes without activity, after 8 hours, or when your role changes.</p><p><a href="/admin">Sign in to the admin console again</a>.</p>`,
    }),
  noSession: () =>
    renderPage({
      status: 401,
      tone: "warn",
      title: "Open the settings link from your chat",
      body: html`<p>Your session has ended. Ask your agent for a new settings link.</p>`,
    }),
  signInCancelled: ({ linkUsed }: { linkUsed: boolean }) =>
    renderPage({
      status: 401,
      tone: "warn",
      title: "You cancelled signing in",
      body: linkUsed
        ? html`<p>Nothing was changed. The settings link you opened is now used up, because each link works only once.</p>
<p>When you want to try again, ask your agent for a new settings link.</p>`
        : html`<p>Nothing was changed. When you want to try again, ask your agent for a new settings link.</p>`,
    }),
  telegramUnverified: (message: string) =>
    renderPage({
      status: 401,
      tone: "warn",
      title: "Telegram could not confirm who you are",
      body: html`<p>${message}</p>
<p>Your link was not used: close this page and press the button in your chat again, or ask your agent for a new link.</p>`,
    }),
  signInFailed: () =>
    renderPage({
      status: 401,
      tone: "warn",
      title: "Sign-in did not complete",
      body: html`<p>The sign-in was cancelled or could not be verified, so nothing was changed.</p>
<p>Ask your agent for a new settings link and try again.</p>`,
    }),
};
