import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";

/**
 * The client address. Next sets X-Forwarded-For to the socket address only when the request carries none,
 * so the header is trustworthy only behind reverse proxies that append to it: with TRUST_PROXY_HOPS=N the
 * client is the Nth entry from the right. With 0 the header is ignored (everyone shares one address).
 */
export function clientIp(headers: Headers): string {
  const hops = getConfig().trustProxyHops;
  if (hops === 0) return "direct";
  const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const ip = chain.length >= hops ? chain[chain.length - hops]! : "unknown";
  return ip.replace(/^::ffff:/, "").slice(0, 64);
}

/**
 * State-changing requests must come from our own origin (SPEC §4). Pages with `Referrer-Policy:
 * no-referrer` (the link pages, by spec) make browsers send `Origin: null` even for same-origin form
 * posts; then the browser-set, unforgeable-by-pages `Sec-Fetch-Site: same-origin` must vouch instead.
 */
export function assertSameOrigin(headers: Headers) {
  const origin = headers.get("origin");
  if (origin === getConfig().publicUrl) return;
  if ((origin === null || origin === "null") && headers.get("sec-fetch-site") === "same-origin") return;
  throw new AppError("cross_origin");
}

export function userAgent(headers: Headers): string | null {
  return headers.get("user-agent")?.slice(0, 512) ?? null;
}
