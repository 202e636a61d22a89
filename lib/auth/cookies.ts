// The cookies Gatehouse sets, each written in one place: the portal session and the pending identity check.
import "server-only";
import { getConfig } from "../config";
import { readCookie, serializeCookie, type CookieAttributes } from "../http/cookies";

/** `__Host-gh_session` on https (Secure, Path=/, no Domain), `gh_session` on plain-http development URLs. */
function portalName() {
  return getConfig().secureCookies ? "__Host-gh_session" : "gh_session";
}

/**
 * `embedded`: the Telegram Mini App, which Telegram Web shows in a cross-site iframe where Lax cookies are
 * never stored. There (https only) the cookie is SameSite=None and Partitioned, so it lives only under
 * that embedding site; state-changing requests are still refused unless they come from our own origin.
 */
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
