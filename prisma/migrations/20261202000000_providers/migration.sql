-- Issue 9: the workspace's OAuth/OIDC providers (SPEC §12), so the gateway's integrations/connect can name one.
-- The id is the operator's (^[a-z][a-z0-9-]{0,31}$), unique within the workspace.
CREATE TABLE "providers" (
    "workspace_id" UUID NOT NULL,
    "id" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret" BYTEA,
    "client_secret_key_id" TEXT,
    "scopes" TEXT NOT NULL,
    "issuer" TEXT,
    "authorization_url" TEXT,
    "token_url" TEXT,
    "userinfo_url" TEXT,
    "revocation_url" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "providers_pkey" PRIMARY KEY ("workspace_id", "id"),
    CONSTRAINT "providers_id_check" CHECK ("id" ~ '^[a-z][a-z0-9-]{0,31}$'),
    CONSTRAINT "providers_secret_key_check" CHECK (("client_secret" IS NULL) = ("client_secret_key_id" IS NULL))
);

ALTER TABLE "providers" ADD CONSTRAINT "providers_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
