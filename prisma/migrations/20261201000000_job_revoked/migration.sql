-- Issue 8: a job its owner (or an admin) ended is `revoked`, not `completed`, so the orchestrator can tell a
-- revocation from a normal finish (SPEC §2). PostgreSQL 12+ allows ADD VALUE inside the runner's transaction;
-- the new value is only used by later transactions.
ALTER TYPE "JobStatus" ADD VALUE IF NOT EXISTS 'revoked' AFTER 'completed';
