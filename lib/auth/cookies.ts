import "server-only";
import { getConfig } from "../config";
import { readCookie, serializeCookie, type CookieAttributes } from "../http/cookies";

/** `__Host-` requires Secure, so plain-http development gets a plain name. */
function portalName() {
  return getConfig().secureCookies ? "__Host-gh_session" : "gh_session";
}

// `embedded`: Telegram Web shows the Mini App in a cross-site iframe, where Lax cookies are never stored; there the
// cookie is SameSite=None; Partitioned (https only). State changes still need our own origin.
function portalAttributes(maxAge: number, { embedded = false } = {}): CookieAttributes {
  const secure = getConfig().secureCookies;
  return { path: "/", maxAge, secure, sameSite: embedded && secure ? "None; Partitioned" : "Lax" };
}

export const portalCookie = {
  name: portalName,
  read: (headers: Headers) => readCookie(headers, portalName()),
  serialize: (value: string, maxAge: number, opts: { embedded?: boolean } = {}) => serializeCookie(portalName(), value, portalAttributes(maxAge, opts)),
  clear: () => serializeCookie(portalName(), "", portalAttributes(0)),
};

// Only the identity callback under /settings needs it; a plain name, since __Host- requires Path=/.
const PENDING_NAME = "gh_pending";
const pendingAttributes = (maxAge: number): CookieAttributes => ({ path: "/settings", maxAge, secure: getConfig().secureCookies, sameSite: "Lax" });

export const pendingCookie = {
  name: PENDING_NAME,
  read: (headers: Headers) => readCookie(headers, PENDING_NAME),
  serialize: (value: string, maxAge: number) => serializeCookie(PENDING_NAME, value, pendingAttributes(maxAge)),
  clear: () => serializeCookie(PENDING_NAME, "", pendingAttributes(0)),
};
