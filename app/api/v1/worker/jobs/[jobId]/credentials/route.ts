// GET /api/v1/worker/jobs/{jobId}/credentials — the job's granted secrets, failing closed (SPEC §6).
import { withJobToken } from "@/lib/auth/wrappers";
import { json, noStore, otherMethods } from "@/lib/http/respond";
import { serveCredentials } from "@/lib/jobs/credentials-serve";

export const GET = withJobToken(async (_req, { token, params, ip }) => {
  const credentials = await serveCredentials({ token, jobId: params.jobId ?? "", ip });
  return credentials.length ? json(credentials) : new Response(null, { status: 204, headers: noStore });
});

// HEAD too: it would run GET, and a credentials read is never a side-effect-free probe.
export const { HEAD, POST, PUT, PATCH, DELETE } = otherMethods("GET");
