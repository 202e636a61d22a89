import "server-only";
import { getConfig } from "../config";

// Telegram's web clients embed Mini Apps, and the pages a `web_app` link button opens, in an iframe; nothing else
// may frame Gatehouse.
const TELEGRAM_FRAME_ANCESTORS = "https://web.telegram.org";

// Pages whose forms redirect to a third party's authorization endpoint (SPEC §12): Connect / Add MCP server on
// Connections, and the settings link's Continue when the link goes straight into a provider's or MCP server's
// authorization. Those endpoints are the workspace's providers' and any MCP server's authorization servers, so not a
// fixed list: any https origin, plus the GATEHOUSE_OUTBOUND_ALLOW test servers (http).
const AUTHORIZATION_FORM_PAGES = ["/settings", "/settings/connections"];

/** The settings-link form redirects to the identity provider after POST. */
function formActionSources(pathname: string): string {
  const config = getConfig();
  const oauth = config.settingsOAuth;
  const idp = oauth ? [oauth.issuer, oauth.authorizationUrl].filter(Boolean).map((u) => new URL(u!).origin) : [];
  const authorizes = AUTHORIZATION_FORM_PAGES.includes(pathname);
  const thirdParty = authorizes ? ["https:", ...config.outboundAllow.map((hostPort) => `http://${hostPort}`)] : [];
  return ["'self'", ...new Set(idp), ...thirdParty].join(" ");
}

export function contentSecurityPolicy({ nonce, pathname }: { nonce: string; pathname: string }): string {
  const dev = getConfig().env === "development";
  const inTelegram = ["/telegram", "/settings"].some((p) => pathname === p || pathname.startsWith(`${p}/`));
  const frameAncestors = inTelegram ? TELEGRAM_FRAME_ANCESTORS : "'none'";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    `frame-ancestors ${frameAncestors}`,
    `form-action ${formActionSources(pathname)}`,
    "base-uri 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** JSON API responses: nothing in them may load, run or be framed. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const STATIC_SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
} as const;

let api: { publicUrl: string; headers: Record<string, string> } | undefined;

/**
 * Every JSON API response's security headers. The route layer sets them (lib/http/respond.ts): proxy.ts does not
 * run for most of /api (SPEC §11, it cost a third of a trivial request). The same for every response, so built once.
 */
export function apiSecurityHeaders(): Record<string, string> {
  const { publicUrl } = getConfig();
  if (api?.publicUrl !== publicUrl) {
    const hsts = strictTransportSecurity(publicUrl);
    api = { publicUrl, headers: { "Content-Security-Policy": API_CONTENT_SECURITY_POLICY, ...STATIC_SECURITY_HEADERS, ...(hsts ? { "Strict-Transport-Security": hsts } : {}) } };
  }
  return api.headers;
}

/** Never on plain http (it would pin localhost to https); includeSubDomains is the operator's call. */
export function strictTransportSecurity(publicUrl: string): string | null {
  return new URL(publicUrl).protocol === "https:" ? "max-age=31536000" : null;
}
