// GET /api/v1/audit/checkpoints?after=<seq>&limit=<n> — the token's workspace's signed audit checkpoints, oldest
// first (SPEC §8), for someone outside to keep and later check an export against.
import { listCheckpoints } from "@/lib/audit/checkpoint-list";
import { parseAuditQuery } from "@/lib/audit/filters";
import { withServiceToken } from "@/lib/auth/service-token";
import { json, otherMethods } from "@/lib/http/respond";

export const GET = withServiceToken(async (req, { principal }) => {
  const { afterSeq, limit } = parseAuditQuery(new URL(req.url).searchParams, ["after", "limit"]);
  return json(await listCheckpoints({ workspaceId: principal.workspaceId, after: afterSeq, limit }));
});

export const { HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
