// A job's status (SPEC §2): `revoked` when its owner (or an admin) ended it, `completed` when the orchestrator
// did, `expired` when its absolute expiry passed first. The one list, checked against the database enum.
import type { JobStatus as DbJobStatus } from "@/generated/prisma/client";

export const JOB_STATUSES = ["running", "completed", "revoked", "expired"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _MatchesDatabase = Assert<Same<JobStatus, DbJobStatus>>;
