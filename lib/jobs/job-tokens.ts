// Token lifecycle steps that must be serialised with the job: rotation and revocation take the job's row
// lock (rotation shared, ending a job exclusive), so a token minted by a rotation can never slip past a
// completion or revocation that runs at the same moment.
import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db } from "../db/client";
import { AppError } from "../errors";
import { findLiveJobToken, findTokenById, replaceJobToken, revokeJobTokens, revokeServiceToken, type RotatedToken } from "../tokens/registry";
import { lockJob } from "../db/locks";
import { isJobId } from "./ids";

/** POST …/token/rotate: a live, never-rotated token of this running job gets a successor. */
export async function rotateJobToken({ token, jobId, ip }: { token: string; jobId: string; ip?: string | null }): Promise<RotatedToken> {
  if (!isJobId(jobId)) throw new AppError("invalid_token");
  return db.$transaction(async (tx) => {
    const current = await findLiveJobToken(tx, token);
    if (!current || current.jobId !== jobId) throw new AppError("invalid_token");
    const job = await lockJob(tx, { workspaceId: current.workspaceId, jobId, mode: "share" });
    if (job?.status !== "running") throw new AppError("invalid_token");
    if (current.rotated) throw new AppError("already_rotated");
    return replaceJobToken(tx, current, { ip });
  });
}

/**
 * `gatehouse token revoke --id`: a service token alone; a job token together with every other token of its
 * job (its rotations before and after), so a stolen token cannot live on through a successor it minted.
 * Idempotent; audited when something was revoked.
 */
export async function revokeToken({ tokenId, actor }: { tokenId: string; actor: AuditActor }): Promise<{ revoked: true }> {
  await db.$transaction(async (tx) => {
    const row = await findTokenById(tx, tokenId);
    if (!row) throw new AppError("not_found", "No token has that id.");
    const now = new Date();
    let count: number;
    if (row.kind === "job" && row.jobId) {
      await lockJob(tx, { workspaceId: row.workspaceId, jobId: row.jobId, mode: "exclusive" });
      count = await revokeJobTokens(tx, { workspaceId: row.workspaceId, jobId: row.jobId, now });
    } else {
      count = (await revokeServiceToken(tx, { tokenId, now })) ? 1 : 0;
    }
    if (count > 0) {
      await appendAuditEvent(
        { workspaceId: row.workspaceId, actor, action: "token.revoked", target: `token:${tokenId}`, data: { kind: row.kind, jobId: row.jobId, tokensRevoked: count } },
        tx,
      );
    }
  });
  return { revoked: true };
}
