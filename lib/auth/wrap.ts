import "server-only";
import { toResponse } from "../http/respond";

export type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };
export type Params = Record<string, string>;

export async function stringParams(ctx: RouteContext | undefined): Promise<Params> {
  // A route without dynamic segments gets no params object at all (Next 16 production build).
  const raw = (ctx ? await ctx.params : undefined) ?? {};
  const out: Params = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string") out[k] = v;
  return out;
}

/** Every error of a JSON route through the one JSON mapper; bearer routes say which scheme they take. */
export function withJsonErrors(fn: (req: Request, ctx?: RouteContext) => Promise<Response>, { bearer }: { bearer: boolean }) {
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
