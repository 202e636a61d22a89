import "server-only";
import { getConfig } from "../config";

/** `__Host-gh_session` on https (Secure, Path=/, no Domain), `gh_session` on plain-http development URLs. */
export function portalCookieName() {
  return getConfig().secureCookies ? "__Host-gh_session" : "gh_session";
}

export function portalCookieOptions(maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: "lax" as const, path: "/", secure: getConfig().secureCookies, maxAge: maxAgeSeconds };
}

/**
 * `embedded`: the Telegram Mini App, which Telegram Web shows in a cross-site iframe where Lax cookies are
 * never stored. There (https only) the cookie is SameSite=None and Partitioned, so it lives only under
 * that embedding site; state-changing requests are still refused unless they come from our own origin.
 */
export function serializePortalCookie(value: string, maxAgeSeconds: number, { embedded = false } = {}) {
  const secure = getConfig().secureCookies;
  const sameSite = embedded && secure ? "None; Partitioned" : "Lax";
  return `${portalCookieName()}=${value}; Path=/; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

export function clearPortalCookie() {
  return serializePortalCookie("", 0);
}

/** The portal cookie's value from a request's Cookie header (route handlers outside React's request scope). */
export function portalCookieFrom(headers: Headers): string | undefined {
  const name = portalCookieName();
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
