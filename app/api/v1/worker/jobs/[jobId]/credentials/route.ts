// GET /api/v1/worker/jobs/{jobId}/credentials — the job's granted secrets, failing closed (SPEC §6).
import { withUnverifiedJobToken } from "@/lib/auth/job-token";
import { json, noStore, otherMethods } from "@/lib/http/respond";
import { serveCredentials } from "@/lib/jobs/credentials-serve";

// serveCredentials authenticates the token in the same transaction that reads the secrets.
export const GET = withUnverifiedJobToken(async (_req, { token, lane, params, ip }) => {
  const credentials = await serveCredentials({ token, jobId: params.jobId ?? "", ip, lane });
  return credentials.length ? json(credentials) : new Response(null, { status: 204, headers: noStore });
});

// HEAD too: it would run GET, and a credentials read is never a side-effect-free probe.
export const { HEAD, POST, PUT, PATCH, DELETE } = otherMethods("GET");
