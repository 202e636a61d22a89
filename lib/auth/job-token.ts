import "server-only";
import { AppError } from "../errors";
import { clientIp } from "../http/request";
import { CREDENTIALS_DENIED_MESSAGE } from "../jobs/credentials-serve";
import { healTokenLane } from "../tokens/lanes";
import { findJobPrincipal, type JobPrincipal } from "../jobs/principal";
import { budgetedBearer } from "./bearer";
import { stringParams, withJsonErrors, type Params } from "./wrap";

export type { JobPrincipal };

type JobTokenOptions = {
  /** The path segment naming the job (it must be the token's own job), or null for routes without one. */
  jobParam: "jobId" | null;
  /** A job that is not running gets the one 403 of the credentials path (SPEC §6, §7). */
  requireRunning: boolean;
};

/** Worker and gateway API: a live job token, resolved to its job. */
export function withJobToken(
  { jobParam, requireRunning }: JobTokenOptions,
  handler: (req: Request, ctx: { job: JobPrincipal; token: string; params: Params; ip: string }) => Promise<Response>,
) {
  return withJsonErrors(async (req, ctx) => {
    const ip = clientIp(req.headers);
    const { token, lane } = await budgetedBearer(req.headers, "job", ip);
    const params = await stringParams(ctx);
    const job = await findJobPrincipal(token);
    if (!job || (jobParam !== null && params[jobParam] !== job.jobId)) throw new AppError("invalid_token");
    await healTokenLane(token, lane, job.workspaceId, job.expiresAt);
    if (requireRunning && job.status !== "running") throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
    return handler(req, { job, token, params, ip });
  }, { bearer: true });
}

// Credentials hot path only: the token is NOT yet authenticated. lib does it in the transaction that reads what
// it protects, so check and use cannot drift apart, at no extra round trip.
export function withUnverifiedJobToken(handler: (req: Request, ctx: { token: string; lane: string; params: Params; ip: string }) => Promise<Response>) {
  return withJsonErrors(async (req, ctx) => {
    const ip = clientIp(req.headers);
    const { token, lane } = await budgetedBearer(req.headers, "job", ip);
    const params = await stringParams(ctx);
    return handler(req, { token, lane, params, ip });
  }, { bearer: true });
}
