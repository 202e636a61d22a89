import "server-only";
import { log } from "../log";
import { AppError, isAppError, isInfrastructureError } from "../errors";
import { apiSecurityHeaders } from "./security-headers";

export const noStore = { "Cache-Control": "no-store" } as const;

// Every response of a JSON route goes through json, noContent or toResponse: they carry the security headers.
export function json(body: unknown, init: { status?: number; headers?: Record<string, string> } = {}) {
  return Response.json(body, { status: init.status ?? 200, headers: { ...apiSecurityHeaders(), ...noStore, ...init.headers } });
}

export function noContent() {
  return new Response(null, { status: 204, headers: { ...apiSecurityHeaders(), ...noStore } });
}

export function errorBody(err: AppError) {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/** Unknown errors carry no detail outward. */
export function toResponse(err: unknown): Response {
  let appError: AppError;
  if (isAppError(err)) {
    appError = err;
  } else if (isInfrastructureError(err)) {
    log.warn({ err }, "infrastructure unavailable");
    appError = new AppError("unavailable");
  } else if (isPrismaKnown(err, "P2002")) {
    appError = new AppError("conflict");
  } else if (isPrismaKnown(err, "P2025")) {
    appError = new AppError("not_found");
  } else {
    log.error({ err }, "unhandled error");
    appError = new AppError("internal_error");
  }
  const headers: Record<string, string> = { ...apiSecurityHeaders(), ...noStore, ...appError.headers };
  return Response.json(errorBody(appError), { status: appError.status, headers });
}

function isPrismaKnown(err: unknown, code: string) {
  return !!err && typeof err === "object" && (err as { code?: unknown }).code === code;
}

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * Instead of Next's empty 405 (or, for HEAD, a silent run of GET; for OPTIONS, its own 204). proxy.ts does not run
 * for most of /api, so every API route exports these for each method it does not serve (route-methods.test.ts).
 */
export function otherMethods(...allowed: Method[]) {
  const handler = async () => {
    const res = toResponse(new AppError("method_not_allowed"));
    res.headers.set("Allow", allowed.join(", "));
    return res;
  };
  return { GET: handler, HEAD: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler, OPTIONS: handler };
}
