// POST /api/v1/gateway/integrations/connect — a button that connects one of the workspace's providers (SPEC §12).
import { integrationsConnectRequest } from "@/lib/api/v1-schemas";
import { withJobToken } from "@/lib/auth/job-token";
import { requestConnectLink } from "@/lib/gateway/request-connect";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";

export const POST = withJobToken({ jobParam: null, requireRunning: true }, async (req, { job, ip }) => {
  const { provider, reason } = await readJson(req, integrationsConnectRequest);
  return json(await requestConnectLink({ job, provider, reason, ip }));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
