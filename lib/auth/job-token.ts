import "server-only";
import { AppError } from "../errors";
import { clientIp } from "../http/request";
import { findJobPrincipal, type JobPrincipal } from "../jobs/principal";
import { budgetedBearer } from "./bearer";
import { stringParams, withJsonErrors, type Params } from "./wrap";

export type { JobPrincipal };

/** Whether the job may still act (running) is the handler's call: the spec answers that with 403. */
export function withJobToken(handler: (req: Request, ctx: { job: JobPrincipal; token: string; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    const token = await budgetedBearer(req.headers, "job");
    const job = await findJobPrincipal(token);
    const params = await stringParams(ctx);
    if (!job || (params.jobId !== undefined && params.jobId !== job.jobId)) throw new AppError("invalid_token");
    return handler(req, { job, token, params, ip: clientIp(req.headers) });
  }, { bearer: true });
}

// Credentials hot path only: the token is NOT yet authenticated. lib does it in the transaction that reads what
// it protects, so check and use cannot drift apart, at no extra round trip.
export function withUnverifiedJobToken(handler: (req: Request, ctx: { token: string; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    const token = await budgetedBearer(req.headers, "job");
    return handler(req, { token, params: await stringParams(ctx), ip: clientIp(req.headers) });
  }, { bearer: true });
}
