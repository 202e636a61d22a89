// GET /settings/connections/callback/mcp/<issuer digest> – back from an MCP server's authorization server, on that
// server's own redirect URI (SPEC §12; the mix-up defence, see ../../../_callback.ts). Only a canonical digest is a
// callback; the handler then takes the response only for a flow that sent exactly this redirect URI.
import { isMcpRedirectDigest } from "@/lib/connections/oauth-client";
import { pages } from "@/app/_lib/html";
import { connectCallback } from "../../../_callback";

export const dynamic = "force-dynamic";

export async function GET(req: Request, { params }: { params: Promise<{ d: string }> }): Promise<Response> {
  if (!isMcpRedirectDigest((await params).d)) return pages.notFound();
  return connectCallback(req);
}
