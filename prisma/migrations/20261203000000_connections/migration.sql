-- Issue 10: users' connections to third-party accounts and MCP servers (SPEC §12), the jobs' grants of them, and
-- Gatehouse's own client registrations at MCP servers' authorization servers.

-- One row per (workspace, user, provider) or (workspace, user, MCP server). `tokens` is a sealed box (lib/crypto/
-- secret-box) of the token set, bound to (workspace, user, connection id); nothing secret is in any other column.
-- `version` grows with every change of the tokens, so a refresh stores its result only over what it read.
CREATE TABLE "connections" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "workspace_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "provider_id" TEXT,
    "server_url" TEXT,
    "issuer" TEXT,
    "resource" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "status_reason" TEXT,
    "upstream_account" TEXT,
    "upstream_subject" TEXT,
    "scopes" TEXT NOT NULL DEFAULT '',
    "tokens" BYTEA NOT NULL,
    "tokens_key_id" TEXT NOT NULL,
    "access_expires_at" TIMESTAMPTZ(3),
    "obtained_at" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    CONSTRAINT "connections_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "connections_kind_check" CHECK (
      ("kind" = 'provider' AND "provider_id" IS NOT NULL AND "server_url" IS NULL) OR
      ("kind" = 'mcp' AND "server_url" IS NOT NULL AND "provider_id" IS NULL)),
    CONSTRAINT "connections_status_check" CHECK ("status" IN ('active', 'needs_reconnect')),
    CONSTRAINT "connections_version_check" CHECK ("version" >= 1)
);

CREATE UNIQUE INDEX "connections_provider_key" ON "connections"("workspace_id", "user_id", "provider_id");
CREATE UNIQUE INDEX "connections_server_key" ON "connections"("workspace_id", "user_id", "server_url");
-- Target of job_connection_grants' composite foreign key: a grant can only name a connection of the job's owner.
CREATE UNIQUE INDEX "connections_id_owner_key" ON "connections"("id", "workspace_id", "user_id");
CREATE INDEX "connections_tokens_key_id_idx" ON "connections"("tokens_key_id");

ALTER TABLE "connections" ADD CONSTRAINT "connections_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "connections" ADD CONSTRAINT "connections_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "connections" ADD CONSTRAINT "connections_provider_fkey" FOREIGN KEY ("workspace_id", "provider_id") REFERENCES "providers"("workspace_id", "id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A job's grant of a connection, `{connection: <provider id>, envVar}` or `{mcp: <server URL>, envVar}`. Immutable like
-- job_grants; a deleted connection leaves connection_id NULL, which denies the job rather than re-granting a later one.
CREATE TABLE "job_connection_grants" (
    "job_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "owner_user_id" UUID NOT NULL,
    "env_var" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ref" TEXT NOT NULL,
    "connection_id" UUID,
    CONSTRAINT "job_connection_grants_pkey" PRIMARY KEY ("job_id", "env_var"),
    CONSTRAINT "job_connection_grants_kind_check" CHECK ("kind" IN ('connection', 'mcp')),
    CONSTRAINT "job_connection_grants_env_var_check" CHECK ("env_var" ~ '^[A-Z_][A-Z0-9_]{0,127}$')
);

CREATE INDEX "job_connection_grants_connection_id_idx" ON "job_connection_grants"("connection_id");

ALTER TABLE "job_connection_grants" ADD CONSTRAINT "job_connection_grants_job_fkey" FOREIGN KEY ("job_id", "workspace_id", "owner_user_id") REFERENCES "jobs"("id", "workspace_id", "owner_user_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job_connection_grants" ADD CONSTRAINT "job_connection_grants_connection_fkey" FOREIGN KEY ("connection_id", "workspace_id", "owner_user_id") REFERENCES "connections"("id", "workspace_id", "user_id") ON DELETE SET NULL ("connection_id") ON UPDATE CASCADE;

-- Gatehouse's client at an MCP server's authorization server, one per (issuer, redirect URI): a Client ID Metadata
-- Document URL or an RFC 7591 registration. A registration's client secret is sealed, bound to the issuer.
CREATE TABLE "mcp_clients" (
    "issuer" TEXT NOT NULL,
    "redirect_uri" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret" BYTEA,
    "client_secret_key_id" TEXT,
    "token_endpoint_auth_method" TEXT NOT NULL DEFAULT 'none',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "mcp_clients_pkey" PRIMARY KEY ("issuer", "redirect_uri"),
    CONSTRAINT "mcp_clients_method_check" CHECK ("method" IN ('metadata_document', 'dynamic')),
    CONSTRAINT "mcp_clients_secret_key_check" CHECK (("client_secret" IS NULL) = ("client_secret_key_id" IS NULL))
);
