// GET /api/portal/secrets — the signed-in user's secrets in this workspace, never their values.
import { withPortalSession } from "@/lib/auth/portal-session";
import { json, otherMethods } from "@/lib/http/respond";
import { listSecrets } from "@/lib/secrets/store";

export const GET = withPortalSession(async (_req, { portal }) => {
  const secrets = await listSecrets({ workspaceId: portal.workspace.id, userId: portal.user.id });
  return json(secrets);
});

export const { HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
