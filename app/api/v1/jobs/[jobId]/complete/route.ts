// POST /api/v1/jobs/{jobId}/complete — ends the job and revokes its tokens; idempotent.
import { withServiceToken } from "@/lib/auth/service-token";
import { json, otherMethods } from "@/lib/http/respond";
import { completeJob } from "@/lib/jobs/lifecycle";

export const POST = withServiceToken(async (_req, { principal, params, ip }) => {
  return json(await completeJob({ workspaceId: principal.workspaceId, jobId: params.jobId ?? "", serviceTokenId: principal.tokenId, ip }));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
