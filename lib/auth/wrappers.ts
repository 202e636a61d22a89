// One wrapper per kind of API caller (CONVENTIONS §3): it authenticates, rate-limits and maps every error
// through the one mapper, so route handlers stay parse → one lib call → respond.
import "server-only";
import { getConfig } from "../config";
import { loadPortalContext, type PortalContext } from "../portal/context";
import { portalCookieFrom } from "./cookies";
import { enforceRateLimit } from "../ratelimit/fixed-window";
import { authenticateServiceToken, type ServicePrincipal } from "../tokens/registry";
import type { TokenKind } from "../tokens/format";
import { bearerToken } from "./bearer";
import { AppError } from "../errors";
import { assertSameOrigin, clientIp } from "../http/request";
import { toResponse } from "../http/respond";

type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };
type Params = Record<string, string>;

async function stringParams(ctx: RouteContext | undefined): Promise<Params> {
  // A route without dynamic segments gets no params object at all (Next 16 production build).
  const raw = (ctx ? await ctx.params : undefined) ?? {};
  const out: Params = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string") out[k] = v;
  return out;
}

function withErrors(fn: (req: Request, ctx?: RouteContext) => Promise<Response>, { bearer }: { bearer: boolean }) {
  return async (req: Request, ctx?: RouteContext): Promise<Response> => {
    try {
      return await fn(req, ctx);
    } catch (err) {
      const res = toResponse(err);
      if (bearer && res.status === 401) res.headers.set("WWW-Authenticate", 'Bearer realm="gatehouse"');
      return res;
    }
  };
}

/** Per-token budget, counted before the database is asked; Redis down means 503, never "unlimited". */
async function limitToken(kind: TokenKind, token: string) {
  // enforceRateLimit keys by a digest of the subject, so the token itself never reaches Redis.
  await enforceRateLimit({ bucket: `token-${kind}`, subject: token, limit: getConfig().rateLimits.tokenPerMinute });
}

/** Orchestrator API: a live service token; its workspace is the only one the handler may touch. */
export function withServiceToken(handler: (req: Request, ctx: { principal: ServicePrincipal; params: Params; ip: string }) => Promise<Response>) {
  return withErrors(async (req, ctx) => {
    const token = bearerToken(req.headers, "service");
    await limitToken("service", token);
    const principal = await authenticateServiceToken(token);
    return handler(req, { principal, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: true });
}

/**
 * Worker API: a well-formed job token. Which job it belongs to, and whether it is live, is decided by the
 * lib call in the same query that reads what it protects (so the check and the use cannot drift apart).
 */
export function withJobToken(handler: (req: Request, ctx: { token: string; params: Params; ip: string }) => Promise<Response>) {
  return withErrors(async (req, ctx) => {
    const token = bearerToken(req.headers, "job");
    await limitToken("job", token);
    return handler(req, { token, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: true });
}

/** Portal JSON API: the portal session cookie; state-changing methods must come from our own origin. */
export function withPortalSession(handler: (req: Request, ctx: { portal: PortalContext; params: Params; ip: string }) => Promise<Response>) {
  return withErrors(async (req, ctx) => {
    if (req.method !== "GET" && req.method !== "HEAD") assertSameOrigin(req.headers);
    const portal = await loadPortalContext(portalCookieFrom(req.headers));
    if (!portal) throw new AppError("unauthorized", "Your portal session has ended. Open the settings link from your chat again.");
    return handler(req, { portal, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: false });
}
