// GET /settings/connections/callback/mcp/<issuer digest> – back from an MCP server's authorization server, on that
// server's own redirect URI (SPEC §12; the mix-up defence, see ../../../_callback.ts). Only a canonical digest is a
// callback; the handler then takes the response only for a flow that sent exactly this redirect URI.
import { isMcpRedirectDigest } from "@/lib/connections/oauth-client";
import { pages } from "@/app/_lib/html";
import { connectCallback } from "../../../_callback";

export const dynamic = "force-dynamic";

// The raw last path segment, not Next's decoded params: a malformed percent-escape there must be a 404, not a throw.
export async function GET(req: Request): Promise<Response> {
  if (!isMcpRedirectDigest(new URL(req.url).pathname.split("/").pop())) return pages.notFound();
  return connectCallback(req);
}
