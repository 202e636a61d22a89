import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
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
// Bound to the portal session by an HMAC (another session, on a shared browser after sign-out, or a cookie
// planted from a sibling domain, reads nothing), short-lived, and scoped to the Secrets pages.
const typedName = () => (getConfig().secureCookies ? "__Secure-gh_typed_name" : "gh_typed_name");
const TYPED_NAME_PATH = "/settings/secrets";
const TYPED_NAME_MAX_CHARS = 200;
const typedNameAttributes = (maxAge: number): CookieAttributes => ({ path: TYPED_NAME_PATH, maxAge, secure: getConfig().secureCookies, sameSite: "Lax" });

function typedNameMac(session: string, value: string): string {
  return createHmac("sha256", getConfig().authSecret).update(`gatehouse typed name\0${session}\0${value}`).digest("base64url");
}

export const typedNameCookie = {
  /** The name, if this cookie was written for the session these headers carry. */
  read: (headers: Headers): string | undefined => {
    const raw = readCookie(headers, typedName());
    const session = portalCookie.read(headers);
    if (!raw || !session) return undefined;
    const dot = raw.lastIndexOf(".");
    if (dot < 0) return undefined;
    try {
      const value = Buffer.from(raw.slice(0, dot), "base64url").toString("utf8");
      const mac = Buffer.from(raw.slice(dot + 1));
      const expected = Buffer.from(typedNameMac(session, value));
      if (value.length > TYPED_NAME_MAX_CHARS || mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
      return value;
    } catch {
      return undefined;
    }
  },
  /** For the session of these request headers; nothing to keep (or too long to be a name) clears it. */
  serialize: (value: string, headers: Headers): string => {
    const session = portalCookie.read(headers);
    if (!session || !value || value.length > TYPED_NAME_MAX_CHARS) return typedNameCookie.clear();
    return serializeCookie(typedName(), `${Buffer.from(value, "utf8").toString("base64url")}.${typedNameMac(session, value)}`, typedNameAttributes(300));
  },
  clear: (): string => serializeCookie(typedName(), "", typedNameAttributes(0)),
};

// The admin console's session (SPEC §13): its own cookie, never the portal's, so neither session stands in for the other.
const adminName = () => hostOnly("gh_admin");
const adminAttributes = (maxAge: number): CookieAttributes => ({ path: "/", maxAge, secure: getConfig().secureCookies, sameSite: "Lax" });

export const adminCookie = {
  name: adminName,
  read: (headers: Headers) => readCookie(headers, adminName()),
  serialize: (value: string, maxAge: number) => serializeCookie(adminName(), value, adminAttributes(maxAge)),
  clear: () => serializeCookie(adminName(), "", adminAttributes(0)),
};

// The admin sign-in this browser started (lib/admin/pending.ts), for the callback to take once.
const adminSignInName = () => hostOnly("gh_admin_signin");

export const adminSignInCookie = {
  read: (headers: Headers) => readCookie(headers, adminSignInName()),
  serialize: (value: string, maxAge: number) => serializeCookie(adminSignInName(), value, adminAttributes(maxAge)),
  clear: () => serializeCookie(adminSignInName(), "", adminAttributes(0)),
};

// A sign-in at /admin by an admin of several workspaces, waiting for the person to pick one.
const adminPendingName = () => hostOnly("gh_admin_pending");

export const adminPendingCookie = {
  read: (headers: Headers) => readCookie(headers, adminPendingName()),
  serialize: (value: string, maxAge: number) => serializeCookie(adminPendingName(), value, adminAttributes(maxAge)),
  clear: () => serializeCookie(adminPendingName(), "", adminAttributes(0)),
};
