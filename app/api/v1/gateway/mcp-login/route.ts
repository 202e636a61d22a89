// POST /api/v1/gateway/mcp-login — a button that signs the owner in to a remote MCP server (SPEC §12).
import { mcpLoginRequest } from "@/lib/api/v1-schemas";
import { withJobToken } from "@/lib/auth/job-token";
import { requestLink } from "@/lib/gateway/request-link";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { canonicalMcpServerUrl } from "@/lib/links/purpose";

export const POST = withJobToken({ jobParam: null, requireRunning: true }, async (req, { job, ip }) => {
  const { server, reason } = await readJson(req, mcpLoginRequest);
  return json(await requestLink({ job, purpose: { kind: "mcp", server: canonicalMcpServerUrl(server)! }, reason, ip }));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
