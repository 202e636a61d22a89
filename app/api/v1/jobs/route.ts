// POST /api/v1/jobs — the orchestrator starts a job for a member, with grants and a job token.
import { z } from "zod";
import { withServiceToken } from "@/lib/auth/service-token";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { parsePlatformIdentity } from "@/lib/identity/platform";
import { createJob } from "@/lib/jobs/create";

const id = z.string().min(1).max(128);
const body = z.strictObject({
  user: z.strictObject({ platform: z.string().max(32), id: z.string().max(64) }),
  delivery: z
    .strictObject({ platform: z.enum(["telegram", "slack"]), chatId: id, threadId: id.optional() })
    .optional(),
  grants: z.array(z.strictObject({ secret: z.string().max(128), envVar: z.string().max(256) })).max(100).optional(),
  ttlSeconds: z.number().int().min(60).max(86400).optional(),
});

export const POST = withServiceToken(async (req, { principal, ip }) => {
  const input = await readJson(req, body);
  const job = await createJob({
    workspaceId: principal.workspaceId,
    serviceTokenId: principal.tokenId,
    user: parsePlatformIdentity(input.user.platform, input.user.id),
    delivery: input.delivery,
    grants: input.grants,
    ttlSeconds: input.ttlSeconds,
    ip,
  });
  return json({ jobId: job.jobId, token: job.token, expiresAt: job.expiresAt.toISOString() }, { status: 201 });
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods("POST");
