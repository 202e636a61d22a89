// /api/admin/tokens – the admin console's service tokens (SPEC §13): list (never a hash), and issue one, whose token
// is in this response only.
import { z } from "zod";
import { withAdmin } from "@/lib/auth/admin-session";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { issueServiceToken, listServiceTokens } from "@/lib/tokens/registry";

const issueRequest = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  ttlDays: z.number().int().min(1).max(400).optional(),
});

export const GET = withAdmin(async (_req, { admin }) => {
  const tokens = await listServiceTokens({ workspaceId: admin.workspace.id });
  return json({ tokens }, { headers: { "Cache-Control": "no-store" } });
});

export const POST = withAdmin(async (req, { admin, ip }) => {
  const input = await readJson(req, issueRequest);
  const issued = await issueServiceToken({
    workspaceId: admin.workspace.id,
    name: input.name,
    ttlSeconds: input.ttlDays ? input.ttlDays * 86400 : undefined,
    actor: { type: "admin", id: admin.user.id },
    ip,
  });
  return json({ tokenId: issued.tokenId, token: issued.token, expiresAt: issued.expiresAt.toISOString() }, { status: 201, headers: { "Cache-Control": "no-store" } });
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
