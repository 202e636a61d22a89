// GET /api/v1/jobs/{jobId} — a job of the token's workspace, grants without values; anything else is 404.
import { withServiceToken } from "@/lib/auth/service-token";
import { json, otherMethods } from "@/lib/http/respond";
import { getJob } from "@/lib/jobs/lifecycle";

export const GET = withServiceToken(async (_req, { principal, params }) => {
  return json(await getJob({ workspaceId: principal.workspaceId, jobId: params.jobId ?? "" }));
});

export const { HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
