import "server-only";
import { clientIp } from "../http/request";
import { healTokenLane } from "../tokens/lanes";
import { authenticateServiceToken, type ServicePrincipal } from "../tokens/registry";
import { budgetedBearer } from "./bearer";
import { stringParams, withJsonErrors, type Params } from "./wrap";

export type { ServicePrincipal };

/** Orchestrator API: a live service token; its workspace is the only one the handler may touch. */
export function withServiceToken(handler: (req: Request, ctx: { principal: ServicePrincipal; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    const ip = clientIp(req.headers);
    const { token, lane } = await budgetedBearer(req.headers, "service", ip);
    const principal = await authenticateServiceToken(token);
    await healTokenLane(token, lane, principal.workspaceId, principal.expiresAt);
    return handler(req, { principal, params: await stringParams(ctx), ip });
  }, { bearer: true });
}
