// GET /oauth/client-metadata/<issuer digest>.json – Gatehouse's OAuth Client ID Metadata Document for one MCP
// authorization server (the MCP spec's preferred client registration): its URL is the client_id that server fetches,
// and its only redirect URI is that server's own MCP callback (the mix-up defence, see lib/connections/oauth-client).
// Public, no secrets; any other file name is a 404; other methods get proxy.ts's 405 (HEAD is answered from GET, as a
// fetcher may probe with it).
import { pages } from "@/app/_lib/html";
import { clientMetadataDigest, clientMetadataDocument } from "@/lib/mcp";

export const dynamic = "force-dynamic";

// The raw last path segment, not Next's decoded params: a malformed percent-escape there must be a 404, not a throw.
export async function GET(req: Request): Promise<Response> {
  const digest = clientMetadataDigest(new URL(req.url).pathname.split("/").pop() ?? "");
  if (digest === null) return pages.notFound();
  return Response.json(clientMetadataDocument(digest), { headers: { "Cache-Control": "public, max-age=3600" } });
}
