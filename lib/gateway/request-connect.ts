import "server-only";
import { providerExists } from "../connections/providers";
import { AppError } from "../errors";
import type { JobPrincipal } from "../jobs/principal";
import { requestLink, type GatewayResult } from "./request-link";

/** An unknown provider is a bad body (SPEC §7): the same 400 whether it is another workspace's or nobody's. */
export async function requestConnectLink({ job, provider, reason, ip }: { job: JobPrincipal; provider: string; reason?: string; ip: string }): Promise<GatewayResult> {
  if (!(await providerExists({ workspaceId: job.workspaceId, providerId: provider }))) {
    throw new AppError("validation_failed", "The provider is not configured in this workspace.", { details: { fields: [{ path: "provider", message: "Unknown provider" }] } });
  }
  return requestLink({ job, purpose: { kind: "connect", provider }, reason, ip });
}
