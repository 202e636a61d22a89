import "server-only";

/** Every cookie Gatehouse sets is HttpOnly; the rest of its attributes come from the one named cookie's helper. */
export type CookieAttributes = { path: string; maxAge: number; secure: boolean; sameSite: "Lax" | "None; Partitioned" };

export function serializeCookie(name: string, value: string, { path, maxAge, secure, sameSite }: CookieAttributes): string {
  return `${name}=${value}; Path=${path}; HttpOnly; SameSite=${sameSite}; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;
}

export function readCookie(headers: Headers, name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
