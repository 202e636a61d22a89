// GET /api/v1/worker/jobs/{jobId}/credentials — the job's granted secrets, failing closed (SPEC §6).
import { withUnverifiedJobToken } from "@/lib/auth/job-token";
import { json, noContent, otherMethods } from "@/lib/http/respond";
import { serveCredentials } from "@/lib/jobs/credentials-serve";

// Not "auto": Next would wrap the request in its static-generation tracking proxies on every call.
export const dynamic = "force-dynamic";

// serveCredentials authenticates the token in the same transaction that reads the secrets.
export const GET = withUnverifiedJobToken(async (_req, { token, lane, params, ip }) => {
  const credentials = await serveCredentials({ token, jobId: params.jobId ?? "", ip, lane });
  return credentials.length ? json(credentials) : noContent();
});

// HEAD too: it would run GET, and a credentials read is never a side-effect-free probe.
export const { HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
