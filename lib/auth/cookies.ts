import "server-only";
import { getConfig } from "../config";
import { readCookie, serializeCookie, type CookieAttributes } from "../http/cookies";

// `__Host-` (Secure, Path=/, no Domain: no sibling domain can plant or shadow it) requires https, so
// plain-http development gets the plain names.
const hostOnly = (name: string) => (getConfig().secureCookies ? `__Host-${name}` : name);

// `embedded`: Telegram Web shows the Mini App in a cross-site iframe, where Lax cookies are never stored; there the
// cookie is SameSite=None; Partitioned (https only). State changes still need our own origin.
function portalAttributes(maxAge: number, { embedded = false } = {}): CookieAttributes {
  const secure = getConfig().secureCookies;
  return { path: "/", maxAge, secure, sameSite: embedded && secure ? "None; Partitioned" : "Lax" };
}

const portalName = () => hostOnly("gh_session");

export const portalCookie = {
  name: portalName,
  read: (headers: Headers) => readCookie(headers, portalName()),
  serialize: (value: string, maxAge: number, opts: { embedded?: boolean } = {}) => serializeCookie(portalName(), value, portalAttributes(maxAge, opts)),
  /** Both variants: a partitioned (Mini App) cookie is only removed by a partitioned Set-Cookie. */
  clear: (): string[] => {
    const plain = serializeCookie(portalName(), "", portalAttributes(0));
    return getConfig().secureCookies ? [plain, serializeCookie(portalName(), "", portalAttributes(0, { embedded: true }))] : [plain];
  },
};

const pendingName = () => hostOnly("gh_pending");
const pendingAttributes = (maxAge: number): CookieAttributes => ({ path: "/", maxAge, secure: getConfig().secureCookies, sameSite: "Lax" });

export const pendingCookie = {
  name: pendingName,
  read: (headers: Headers) => readCookie(headers, pendingName()),
  serialize: (value: string, maxAge: number) => serializeCookie(pendingName(), value, pendingAttributes(maxAge)),
  clear: () => serializeCookie(pendingName(), "", pendingAttributes(0)),
};

// What a person typed into the Secrets page's "Add" Name, carried across the 303 of a failed save so the field
// keeps it. Not the URL: a name field sometimes receives a pasted value, and URLs end up in history and logs.
// Scoped to the Secrets pages and short-lived; `__Secure-` (unlike `__Host-`) allows a path.
const typedName = () => (getConfig().secureCookies ? "__Secure-gh_typed_name" : "gh_typed_name");
const TYPED_NAME_PATH = "/settings/secrets";
const TYPED_NAME_MAX_CHARS = 200;
const typedNameAttributes = (maxAge: number): CookieAttributes => ({ path: TYPED_NAME_PATH, maxAge, secure: getConfig().secureCookies, sameSite: "Lax" });

export const typedNameCookie = {
  read: (headers: Headers): string | undefined => {
    const raw = readCookie(headers, typedName());
    if (!raw) return undefined;
    try {
      const value = decodeURIComponent(raw);
      return value.length <= TYPED_NAME_MAX_CHARS ? value : undefined;
    } catch {
      return undefined;
    }
  },
  /** Nothing to keep (too long to be a name anyway) clears it. */
  serialize: (value: string): string =>
    value && value.length <= TYPED_NAME_MAX_CHARS
      ? serializeCookie(typedName(), encodeURIComponent(value), typedNameAttributes(300))
      : typedNameCookie.clear(),
  clear: (): string => serializeCookie(typedName(), "", typedNameAttributes(0)),
};
