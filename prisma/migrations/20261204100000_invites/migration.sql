-- Invites (SPEC §13): a label, the rules the data itself keeps (use limit 1..1000, never more uses than the limit,
-- never an owner invite), and who redeemed each one.

-- AlterTable
ALTER TABLE "invites" ADD COLUMN "label" TEXT NOT NULL DEFAULT '';
ALTER TABLE "invites" ADD CONSTRAINT "invites_label_check" CHECK (char_length("label") <= 100);
ALTER TABLE "invites" ADD CONSTRAINT "invites_max_uses_check" CHECK ("max_uses" BETWEEN 1 AND 1000);
ALTER TABLE "invites" ADD CONSTRAINT "invites_uses_check" CHECK ("uses" >= 0 AND "uses" <= "max_uses");
ALTER TABLE "invites" ADD CONSTRAINT "invites_role_check" CHECK ("role" <> 'owner');

-- Newest first, per workspace (the admin list).
DROP INDEX "invites_workspace_id_idx";
CREATE INDEX "invites_workspace_id_created_at_idx" ON "invites"("workspace_id", "created_at");

-- Target of invite_redemptions' composite foreign key: a redemption belongs to its invite's workspace.
CREATE UNIQUE INDEX "invites_id_workspace_id_key" ON "invites"("id", "workspace_id");

-- AddForeignKey
ALTER TABLE "invites" ADD CONSTRAINT "invites_created_by_user_id_fkey" FOREIGN KEY ("created_by_user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "invite_redemptions" (
    "invite_id" UUID NOT NULL,
    "workspace_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "redeemed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invite_redemptions_pkey" PRIMARY KEY ("invite_id", "user_id")
);

-- CreateIndex
CREATE INDEX "invite_redemptions_workspace_id_user_id_idx" ON "invite_redemptions"("workspace_id", "user_id");
CREATE INDEX "invite_redemptions_user_id_idx" ON "invite_redemptions"("user_id");

-- AddForeignKey
ALTER TABLE "invite_redemptions" ADD CONSTRAINT "invite_redemptions_invite_fkey" FOREIGN KEY ("invite_id", "workspace_id") REFERENCES "invites"("id", "workspace_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "invite_redemptions" ADD CONSTRAINT "invite_redemptions_workspace_id_fkey" FOREIGN KEY ("workspace_id") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "invite_redemptions" ADD CONSTRAINT "invite_redemptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
