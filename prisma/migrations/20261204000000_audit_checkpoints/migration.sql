-- Signed audit checkpoints (SPEC §8): an Ed25519 signature over the canonical JSON of {workspaceId, seq, hash}
-- of one event, so someone outside who keeps them can later prove the recorded history was not rewritten.

-- CreateTable
CREATE TABLE "audit_checkpoints" (
    "id" BIGSERIAL NOT NULL,
    "workspace_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "signature" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_checkpoints_workspace_id_seq_key" ON "audit_checkpoints"("workspace_id", "seq");

-- AddForeignKey
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey: a checkpoint always names a recorded event.
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_workspace_id_seq_fkey" FOREIGN KEY ("workspace_id", "seq") REFERENCES "audit_events"("workspace_id", "seq") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Append-only like the events they sign.
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
