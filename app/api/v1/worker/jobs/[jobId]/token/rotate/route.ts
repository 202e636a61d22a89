// POST /api/v1/worker/jobs/{jobId}/token/rotate — a new job token; the old one works for the grace period.
import type { RotatedTokenResponse } from "@/lib/api/v1-schemas";
import { withJobToken } from "@/lib/auth/job-token";
import { json, otherMethods } from "@/lib/http/respond";
import { rotateJobToken } from "@/lib/jobs/job-tokens";

// Rotation re-checks the job in its own locked transaction (401 when it is not running).
export const POST = withJobToken({ jobParam: "jobId", requireRunning: false }, async (_req, { token, params, ip }) => {
  const rotated = await rotateJobToken({ token, jobId: params.jobId ?? "", ip });
  return json({
    token: rotated.token,
    expiresAt: rotated.expiresAt.toISOString(),
    previousTokenValidUntil: rotated.previousTokenValidUntil.toISOString(),
  } satisfies RotatedTokenResponse);
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
