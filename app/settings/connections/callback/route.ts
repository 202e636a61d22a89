// GET /settings/connections/callback – back from a provider's authorization (and an MCP login with a client the
// operator pre-registered there), SPEC §12. The handler, shared with every MCP authorization server's own path, is
// ../_callback.ts.
import { connectCallback } from "../_callback";

export const dynamic = "force-dynamic";

export const GET = connectCallback;
