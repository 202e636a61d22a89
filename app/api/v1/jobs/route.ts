// POST /api/v1/jobs — the orchestrator starts a job for a member, with grants and a job token.
import { createJobRequest, type CreatedJobResponse } from "@/lib/api/v1-schemas";
import { withServiceToken } from "@/lib/auth/service-token";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { parsePlatformIdentity } from "@/lib/identity/platform";
import { createJob } from "@/lib/jobs/create";

export const POST = withServiceToken(async (req, { principal, ip }) => {
  const input = await readJson(req, createJobRequest);
  const job = await createJob({
    workspaceId: principal.workspaceId,
    serviceTokenId: principal.tokenId,
    user: parsePlatformIdentity(input.user.platform, input.user.id),
    delivery: input.delivery,
    grants: input.grants,
    ttlSeconds: input.ttlSeconds,
    ip,
  });
  return json({ jobId: job.jobId, token: job.token, expiresAt: job.expiresAt.toISOString() } satisfies CreatedJobResponse, { status: 201 });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
