// Runs before every route: security headers with a per-request CSP nonce (Next applies it to its own
// scripts), and `/settings?s=<id>` routed to the link interstitial handler.
// Not for most of /api (the matcher below): running at all cost a third of a trivial route's CPU (SPEC §11), and
// nothing there needs it. API routes answer every method themselves (otherMethods) and set their own security
// headers (lib/http/respond.ts). It still runs for what Next would answer outside our error shapes there: a path
// with a percent escape (malformed, an encoded separator), a Server Action call, a router state header; and for
// next-auth's routes (HTML pages, the callback-url cookie fix). Those API requests that pass take a short path.
import { randomBytes } from "node:crypto";
import { NextResponse, type NextRequest } from "next/server";
import { pages } from "@/app/_lib/html";
import { withoutBadCallbackCookie } from "@/lib/auth/next-auth-input";
import { getConfig } from "@/lib/config";
import { AREA_HEADER, canonicalPath, hasEncodedSeparator, LINK_ID_HEADER } from "@/lib/http/request";
import { builtRouteTable, routeFor, takes } from "@/lib/http/route-methods";
import { apiSecurityHeaders, contentSecurityPolicy, STATIC_SECURITY_HEADERS, strictTransportSecurity } from "@/lib/http/security-headers";

function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/** The shape of the router state Next's client sends: [segment, parallel routes, …] (`[]` makes Next answer a bare 500). */
function isRouterState(header: string): boolean {
  try {
    const tree: unknown = JSON.parse(decodeURIComponent(header));
    return Array.isArray(tree) && tree.length >= 2 && (typeof tree[0] === "string" || Array.isArray(tree[0])) && !!tree[1] && typeof tree[1] === "object";
  } catch {
    return false;
  }
}

const isApi = (pathname: string) => pathname === "/api" || pathname.startsWith("/api/");
// next-auth's routes render HTML (sign-in, sign-out) and need the callback-url cookie fix: the full path.
const isAuthApi = (pathname: string) => pathname.startsWith("/api/auth") || pathname.startsWith("/api/admin-auth");



function apiError(code: "bad_request" | "method_not_allowed", message: string, headers: Record<string, string> = {}) {
  return Response.json({ error: { code, message } }, { status: code === "bad_request" ? 400 : 405, headers: { "Cache-Control": "no-store", ...apiSecurityHeaders(), ...headers } });
}

/** What Next would answer without our error shapes: a malformed path, a Server Action call, a method no route takes. */
function refuse(req: NextRequest, pathname: string): Response | null {
  if (hasEncodedSeparator(pathname)) {
    return isApi(pathname.replace(/%2[Ff]/g, "/")) ? apiError("bad_request", "The request path is malformed.") : withSecurityHeaders(pages.badRequest());
  }
  // Next answers a path segment that does not percent-decode with a bare 500 (a dynamic route decodes its params
  // before the handler runs): under /api the JSON shape, elsewhere the HTML page.
  if (!decodable(pathname)) return isApi(pathname) ? apiError("bad_request", "The request path is malformed.") : withSecurityHeaders(pages.badRequest());
  // Gatehouse has no Server Actions; Next would answer such a call with a bare text or a flight payload.
  if (req.headers.has("next-action")) {
    return isApi(pathname) ? apiError("bad_request", "The request is malformed.") : withSecurityHeaders(pages.badRequest());
  }
  // Next answers a router state header it cannot use with a bare 500 or a logged stack; its client only sends a tree.
  const tree = req.headers.get("next-router-state-tree");
  if (tree !== null && !isRouterState(tree)) {
    return isApi(pathname) ? apiError("bad_request", "The request is malformed.") : withSecurityHeaders(pages.badRequest());
  }
  const route = routeFor(builtRouteTable(), pathname);
  // Nothing serves the path: Next's 404 page for a read, but a post would be taken for a Server Action call.
  if (!route) return req.method === "GET" || req.method === "HEAD" || isApi(pathname) ? null : withSecurityHeaders(pages.notFound());
  if (takes(route, req.method)) return null;
  const allow = route.methods.join(", ");
  return isApi(pathname) ? apiError("method_not_allowed", "Method not allowed.", { Allow: allow }) : withSecurityHeaders(pages.methodNotAllowed(allow));
}

function withSecurityHeaders(res: Response): Response {
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.headers.set(name, value);
  res.headers.set("Content-Security-Policy", contentSecurityPolicy({ nonce: randomBytes(16).toString("base64"), pathname: "/" }));
  return res;
}

export function proxy(req: NextRequest) {
  const pathname = canonicalPath(req.nextUrl.pathname);
  const refused = refuse(req, pathname);
  if (refused) return refused;
  // No request headers are rewritten: the link id and area headers are read only by pages, never under /api.
  if (isApi(pathname) && !isAuthApi(pathname)) {
    const res = NextResponse.next();
    for (const [name, value] of Object.entries(apiSecurityHeaders())) res.headers.set(name, value);
    return res;
  }
  const nonce = randomBytes(16).toString("base64");
  const csp = contentSecurityPolicy({ nonce, pathname });
  const requestHeaders = new Headers(req.headers);
  requestHeaders.set("content-security-policy", csp);
  requestHeaders.set("x-nonce", nonce);
  // A callback-url cookie next-auth did not set would make every next-auth call (auth() included) a 500.
  const cookie = withoutBadCallbackCookie(requestHeaders.get("cookie"));
  if (cookie !== null) requestHeaders.set("cookie", cookie);

  // The link id travels to the interstitial in a request header only we set: Next echoes a rewrite's target
  // URL back to the client (x-middleware-rewrite), and the id must never appear in a response.
  requestHeaders.delete(LINK_ID_HEADER);
  // Which area's 401/403 page to show (app/unauthorized.tsx): only we set it.
  requestHeaders.delete(AREA_HEADER);
  if (pathname === "/admin" || pathname.startsWith("/admin/")) requestHeaders.set(AREA_HEADER, "admin");
  const isLink = pathname === "/settings" && req.nextUrl.searchParams.has("s");
  if (isLink) requestHeaders.set(LINK_ID_HEADER, req.nextUrl.searchParams.get("s") ?? "");
  const res = isLink
    ? NextResponse.rewrite(new URL("/settings/link", req.url), { request: { headers: requestHeaders } })
    : NextResponse.next({ request: { headers: requestHeaders } });

  res.headers.set("Content-Security-Policy", csp);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.headers.set(name, value);
  const hsts = strictTransportSecurity(getConfig().publicUrl);
  if (hsts) res.headers.set("Strict-Transport-Security", hsts);
  // next-auth sends some pages (sign-out with its CSRF token, verify-request) without any Cache-Control.
  if (isAuthApi(pathname)) res.headers.set("Cache-Control", "no-store");
  if (pathname.startsWith("/settings") || pathname.startsWith("/telegram") || pathname === "/admin" || pathname.startsWith("/admin/")) {
    res.headers.set("Cache-Control", "no-store");
    res.headers.set("X-Robots-Tag", "noindex, nofollow");
  }
  return res;
}

export const config = {
  matcher: [
    { source: "/((?!api/|_next/static|_next/image|favicon.ico).*)" },
    { source: "/api/auth/:path*" },
    { source: "/api/admin-auth/:path*" },
    { source: "/api/:path*", has: [{ type: "header", key: "next-action" }] },
    { source: "/api/:path*", has: [{ type: "header", key: "next-router-state-tree" }] },
    { source: "/api/:path(.*%.*)" },
  ],
};
