// GET /oauth/client-metadata.json – Gatehouse's OAuth Client ID Metadata Document (the MCP spec's preferred client
// registration): its URL is the client_id an MCP server's authorization server fetches. Public, no secrets; other
// methods get proxy.ts's 405 (HEAD is answered from GET, as a fetcher may probe with it).
import { clientMetadataDocument } from "@/lib/mcp";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(clientMetadataDocument(), { headers: { "Cache-Control": "public, max-age=3600" } });
}
