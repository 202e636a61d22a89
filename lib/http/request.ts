import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";

// Next sets X-Forwarded-For only when absent, so it is trusted only behind proxies that append to it: the client
// is the TRUST_PROXY_HOPS-th entry from the right.
export function clientIp(headers: Headers): string {
  const hops = getConfig().trustProxyHops;
  if (hops === 0) return "direct";
  const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const ip = chain.length >= hops ? chain[chain.length - hops]! : "unknown";
  return ip.replace(/^::ffff:/, "").slice(0, 64);
}

/**
 * What a per-address budget counts against, or null when no address can be trusted ("direct": TRUST_PROXY_HOPS=0;
 * "unknown": fewer X-Forwarded-For entries than hops). An IPv6 address counts as its /64, which one holder gets.
 */
export function rateLimitSubject(ip: string): string | null {
  if (ip === "direct" || ip === "unknown") return null;
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::", 2);
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return ip;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

// Same origin only (SPEC §4). no-referrer pages (the link pages) send `Origin: null` on same-origin posts; then the
// browser-set, unforgeable Sec-Fetch-Site must vouch.
export function assertSameOrigin(headers: Headers) {
  const origin = headers.get("origin");
  if (origin === getConfig().publicUrl) return;
  if ((origin === null || origin === "null") && headers.get("sec-fetch-site") === "same-origin") return;
  throw new AppError("cross_origin");
}

export function userAgent(headers: Headers): string | null {
  return headers.get("user-agent")?.slice(0, 512) ?? null;
}

/** Set only by proxy.ts (it drops any copy a client sends): the `s` of `/settings?s=<id>`, for the interstitial. */
export const LINK_ID_HEADER = "x-gatehouse-link-id";
/** Set only by proxy.ts: `admin` under /admin, so the shared 401/403 pages speak to an admin. */
export const AREA_HEADER = "x-gatehouse-area";

// Next's router matches the percent-decoded path, so every check here runs on the same form: unreserved
// characters decoded (`/%73ettings` is `/settings`), and an encoded slash or backslash refused, since the router and
// a prefix check would not agree on where its segments are.
const UNRESERVED_ESCAPE = /%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[Dd]|2[Ee]|5[Ff]|7[Ee])/g;
export function canonicalPath(pathname: string): string {
  return pathname.replace(UNRESERVED_ESCAPE, (e) => String.fromCharCode(parseInt(e.slice(1), 16)));
}
export const hasEncodedSeparator = (pathname: string) => /%(?:2[Ff]|5[Cc])/.test(pathname);
