// Runs before every route: security headers with a per-request CSP nonce (Next applies it to its own
// scripts), and `/settings?s=<id>` routed to the link interstitial handler.
import { randomBytes } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { withoutBadCallbackCookie } from "@/lib/auth/next-auth-input";
import { getConfig } from "@/lib/config";
import { LINK_ID_HEADER } from "@/lib/http/request";
import { contentSecurityPolicy, STATIC_SECURITY_HEADERS, strictTransportSecurity } from "@/lib/http/security-headers";

function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function proxy(req: NextRequest) {
  // Next answers a path segment that does not percent-decode with a bare 500; under /api it gets the JSON shape.
  if (req.nextUrl.pathname.startsWith("/api/") && !decodable(req.nextUrl.pathname)) {
    return Response.json(
      { error: { code: "bad_request", message: "The request path is malformed." } },
      { status: 400, headers: { "Cache-Control": "no-store", ...STATIC_SECURITY_HEADERS } },
    );
  }
  const nonce = randomBytes(16).toString("base64");
  const csp = contentSecurityPolicy({ nonce, pathname: req.nextUrl.pathname });
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("content-security-policy", csp);
  requestHeaders.set("x-nonce", nonce);
  // A callback-url cookie next-auth did not set would make every next-auth call (auth() included) a 500.
  const cookie = withoutBadCallbackCookie(requestHeaders.get("cookie"));
  if (cookie !== null) requestHeaders.set("cookie", cookie);

  // The link id travels to the interstitial in a request header only we set: Next echoes a rewrite's target
  // URL back to the client (x-middleware-rewrite), and the id must never appear in a response.
  requestHeaders.delete(LINK_ID_HEADER);
  const isLink = req.nextUrl.pathname === "/settings" && req.nextUrl.searchParams.has("s");
  if (isLink) requestHeaders.set(LINK_ID_HEADER, req.nextUrl.searchParams.get("s") ?? "");
  const res = isLink
    ? NextResponse.rewrite(new URL("/settings/link", req.url), { request: { headers: requestHeaders } })
    : NextResponse.next({ request: { headers: requestHeaders } });

  res.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.headers.set(name, value);
  const hsts = strictTransportSecurity(getConfig().publicUrl);
  if (hsts) res.headers.set("Strict-Transport-Security", hsts);
  // next-auth sends some pages (sign-out with its CSRF token, verify-request) without any Cache-Control.
  if (req.nextUrl.pathname.startsWith("/api/auth")) res.headers.set("Cache-Control", "no-store");
  if (req.nextUrl.pathname.startsWith("/settings") || req.nextUrl.pathname.startsWith("/telegram")) {
    res.headers.set("Cache-Control", "no-store");
    res.headers.set("X-Robots-Tag", "noindex, nofollow");
  }
  return res;
}

export const config = {
  matcher: [{ source: "/((?!_next/static|_next/image|favicon.ico).*)" }],
};
