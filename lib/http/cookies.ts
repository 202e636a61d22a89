import "server-only";

export type CookieAttributes = { path: string; maxAge: number; secure: boolean; sameSite: "Lax" | "None; Partitioned" };

/** Every cookie Gatehouse sets is HttpOnly; the other attributes come from the named cookie's helper. */
export function serializeCookie(name: string, value: string, { path, maxAge, secure, sameSite }: CookieAttributes): string {
  // A clear also carries a past Expires: when next-auth has touched the cookie jar, Next re-parses the response's
  // Set-Cookie headers and drops Max-Age=0 (a falsy attribute), which would leave the cookie in place.
  const expires = maxAge === 0 ? "; Expires=Thu, 01 Jan 1970 00:00:00 GMT" : "";
  return `${name}=${value}; Path=${path}; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAge}${expires}${secure ? "; Secure" : ""}`;
}

/**
 * A cookie's value from a request's Cookie header. A name sent more than once is no value at all: browsers
 * order duplicates by path, so a copy planted with a longer path (from a sibling domain) would otherwise win.
 */
export function readCookie(headers: Headers, name: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      found = part.slice(eq + 1).trim();
      count += 1;
    }
  }
  return count === 1 ? found : undefined;
}
