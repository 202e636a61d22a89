-- Issue 4: secrets, jobs and tokens. Composite foreign keys make cross-tenant references impossible in
-- the database itself, not only in the code: a grant can only point at a secret of its job's owner in its
-- job's workspace, and a job token only at a job of its own workspace. Needs PostgreSQL 15+ for
-- ON DELETE SET NULL (column list).

-- AlterTable (copied from the job for existing rows, then required)
ALTER TABLE "job_grants" ADD COLUMN "owner_user_id" UUID,
ADD COLUMN "workspace_id" UUID;
UPDATE "job_grants" g SET "workspace_id" = j."workspace_id", "owner_user_id" = j."owner_user_id" FROM "jobs" j WHERE j."id" = g."job_id";
ALTER TABLE "job_grants" ALTER COLUMN "owner_user_id" SET NOT NULL, ALTER COLUMN "workspace_id" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "secrets_id_workspace_id_user_id_key" ON "secrets"("id", "workspace_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_id_workspace_id_key" ON "jobs"("id", "workspace_id");

-- CreateIndex
CREATE UNIQUE INDEX "jobs_id_workspace_id_owner_user_id_key" ON "jobs"("id", "workspace_id", "owner_user_id");

-- Grants: same job, same workspace, same owner as their secret.
ALTER TABLE "job_grants" DROP CONSTRAINT "job_grants_job_id_fkey";
ALTER TABLE "job_grants" ADD CONSTRAINT "job_grants_job_id_fkey" FOREIGN KEY ("job_id", "workspace_id", "owner_user_id") REFERENCES "jobs"("id", "workspace_id", "owner_user_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "job_grants" DROP CONSTRAINT "job_grants_secret_id_fkey";
ALTER TABLE "job_grants" ADD CONSTRAINT "job_grants_secret_id_fkey" FOREIGN KEY ("secret_id", "workspace_id", "owner_user_id") REFERENCES "secrets"("id", "workspace_id", "user_id") ON DELETE SET NULL ("secret_id") ON UPDATE CASCADE;

-- Job tokens: their job is in their workspace; service tokens have no job, job tokens always one.
ALTER TABLE "tokens" DROP CONSTRAINT "tokens_job_id_fkey";
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_job_id_fkey" FOREIGN KEY ("job_id", "workspace_id") REFERENCES "jobs"("id", "workspace_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "tokens" ADD CONSTRAINT "tokens_kind_job_check" CHECK (("kind" = 'job') = ("job_id" IS NOT NULL));

-- Secret names and sizes are enforced by the library; the database refuses what no code path should write.
ALTER TABLE "secrets" ADD CONSTRAINT "secrets_name_check" CHECK ("name" ~ '^[A-Za-z][A-Za-z0-9_.-]{0,63}$');
ALTER TABLE "job_grants" ADD CONSTRAINT "job_grants_env_var_check" CHECK ("env_var" ~ '^[A-Z_][A-Z0-9_]{0,127}$');
