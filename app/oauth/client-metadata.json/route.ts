// GET /oauth/client-metadata.json – Gatehouse's OAuth Client ID Metadata Document (the MCP spec's preferred client
// registration): its URL is the client_id an MCP server's authorization server fetches. Public, no secrets.
import { clientMetadataDocument } from "@/lib/mcp";
import { otherMethods } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(clientMetadataDocument(), { headers: { "Cache-Control": "public, max-age=3600" } });
}

export const { HEAD, POST, PUT, PATCH, DELETE } = otherMethods("GET");
