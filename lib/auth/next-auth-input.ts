// next-auth (Auth.js) checks `callbackUrl` (query parameter and its callback-url cookie) before anything else, and
// answers any value that is not an http(s) URL with a 500 and a stack in the log. Only next-auth itself sets those
// values, so anything else is hostile or stale: the cookie is dropped before next-auth sees it (proxy.ts) and the
// parameter is refused with a 400. Everything next-auth answers with an error becomes the JSON shape of SPEC §10.
import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { log } from "../log";
import { errorBody, toResponse } from "../http/respond";

const MAX_CALLBACK_URL = 2048;
const CALLBACK_COOKIE = /^(?:(?:__Secure-)?authjs|(?:__Host-)?gh_admin_auth)\.callback-url$/;

/** A callback URL next-auth accepts and that stays on this site: a path, or an absolute URL of our origin. */
export function isAcceptableCallbackUrl(value: string): boolean {
  if (value.length > MAX_CALLBACK_URL) return false;
  const origin = getConfig().publicUrl;
  try {
    // next-auth resolves only values starting with "/" against the origin; a bare "x" is invalid to it.
    const url = value.startsWith("/") ? new URL(value, origin) : new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === origin;
  } catch {
    return false;
  }
}

function decodeCookieValue(raw: string): string {
  const value = raw.startsWith('"') && raw.endsWith('"') && raw.length > 1 ? raw.slice(1, -1) : raw;
  try {
    return value.includes("%") ? decodeURIComponent(value) : value;
  } catch {
    return value;
  }
}

/** The Cookie header without any callback-url cookie next-auth would choke on; null when nothing was dropped. */
export function withoutBadCallbackCookie(cookieHeader: string | null): string | null {
  if (!cookieHeader || !cookieHeader.includes("callback-url")) return null;
  let dropped = false;
  const kept = cookieHeader.split(";").filter((part) => {
    const eq = part.indexOf("=");
    if (eq < 0 || !CALLBACK_COOKIE.test(part.slice(0, eq).trim())) return true;
    const ok = isAcceptableCallbackUrl(decodeCookieValue(part.slice(eq + 1).trim()));
    if (!ok) dropped = true;
    return ok;
  });
  return dropped ? kept.map((p) => p.trim()).filter(Boolean).join("; ") : null;
}

const CODE_BY_STATUS: Record<number, "bad_request" | "unauthorized" | "forbidden" | "not_found" | "method_not_allowed" | "internal_error"> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
};

async function inErrorShape(res: Response): Promise<Response> {
  if (res.status < 400 || !(res.headers.get("content-type") ?? "").includes("application/json")) return res;
  const body: unknown = await res.clone().json().catch(() => null);
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") return res;
  const code = CODE_BY_STATUS[res.status] ?? (res.status >= 500 ? "internal_error" : "bad_request");
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  headers.set("Cache-Control", "no-store");
  return Response.json(errorBody(new AppError(code)), { status: new AppError(code).status, headers });
}

/** next-auth's error page (auth.ts `pages.error`), and the `error` it gets when the person cancelled at the provider. */
export const IDENTITY_ERROR_PATH = "/settings/identity-error";
export const SIGN_IN_CANCELLED = "Cancelled";
/** next-auth's sign-in page (auth.ts `pages.signIn`): access starts from a chat link, so it is the portal's 401. */
export const SIGN_IN_PATH = "/settings";
/** The admin sign-in's error page (admin-auth.ts); its sign-in page is /admin itself. */
export const ADMIN_SIGN_IN_ERROR_PATH = "/admin/sign-in-error";
export const ADMIN_SIGN_IN_PATH = "/admin";

type Pages = { signIn: string; error: string };
const SETTINGS_PAGES: Pages = { signIn: SIGN_IN_PATH, error: IDENTITY_ERROR_PATH };
export const ADMIN_PAGES: Pages = { signIn: ADMIN_SIGN_IN_PATH, error: ADMIN_SIGN_IN_ERROR_PATH };

/**
 * A callback that fails goes to the identity error page: next-auth sends an OAuthCallbackError to its sign-in page
 * (`/settings`, which only says "open the link from your chat"). A person who cancelled (`error=access_denied`,
 * RFC 6749 §4.1.2.1) is told so instead of "sign-in failed".
 */
function toIdentityErrorPage(req: Request, res: Response, { signIn: signInPath, error: errorPath }: Pages): Response {
  const url = new URL(req.url);
  const location = res.headers.get("location");
  if (!url.pathname.includes("/callback/") || res.status !== 302 || !location) return res;
  const target = new URL(location, getConfig().publicUrl);
  if (target.origin !== getConfig().publicUrl || (target.pathname !== errorPath && target.pathname !== signInPath) || !target.searchParams.has("error")) return res;
  target.pathname = errorPath;
  if (url.searchParams.get("error") === "access_denied") target.searchParams.set("error", SIGN_IN_CANCELLED);
  const headers = new Headers(res.headers);
  headers.set("location", target.toString());
  return new Response(null, { status: 302, headers });
}

/** next-auth's route handler behind the input checks above, its error answers in the JSON shape. */
export function guardNextAuth<R extends Request>(handler: (req: R) => Promise<Response>, pages: Pages = SETTINGS_PAGES) {
  return async (req: R): Promise<Response> => {
    try {
      for (const value of new URL(req.url).searchParams.getAll("callbackUrl")) {
        if (!isAcceptableCallbackUrl(value)) throw new AppError("bad_request", "callbackUrl must be a URL on this site.");
      }
      return await inErrorShape(toIdentityErrorPage(req, await handler(req), pages));
    } catch (err) {
      return toResponse(err);
    }
  };
}

function firstLine(value: unknown): string | undefined {
  return typeof value === "string" ? value.split("\n")[0]!.slice(0, 160) : undefined;
}

/** next-auth's logger: one short line per refused request, no stack (an unauthenticated caller could inflate the log). */
export const nextAuthLogger = {
  error(error: Error) {
    const e = error as Error & { type?: unknown; kind?: unknown; cause?: { err?: { message?: unknown }; message?: unknown } };
    log.warn(
      {
        nextAuth: {
          type: typeof e.type === "string" ? e.type : e.name,
          message: firstLine(e.message)?.replace(/ Read more at https:\/\/errors\.authjs\.dev\S*/, ""),
          cause: firstLine(e.cause?.err?.message ?? e.cause?.message),
        },
      },
      "next-auth refused a request",
    );
  },
  warn(code: string) {
    log.warn({ code }, "next-auth warning");
  },
  debug() {},
};
