-- A provider is Gatehouse's pre-registered client at an MCP server's authorization server only when the operator
-- said so, for exactly one MCP server (SPEC §12): its canonical URL, NULL for a provider that is never used for MCP.
-- A matching issuer alone is not enough: any MCP server can name any authorization server (Google, the company's SSO).
ALTER TABLE "providers" ADD COLUMN "mcp_server" TEXT;

-- One pre-registered client per MCP server in a workspace, so which one is used is never a choice.
CREATE UNIQUE INDEX "providers_mcp_server_key" ON "providers"("workspace_id", "mcp_server") WHERE "mcp_server" IS NOT NULL;
