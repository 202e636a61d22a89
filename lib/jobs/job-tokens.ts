// Rotation and revocation take the job's row lock, so a token minted by a rotation never slips past a
// concurrent completion or revocation.
import "server-only";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { db } from "../db/client";
import { AppError } from "../errors";
import { findLiveJobToken, findTokenById, replaceJobToken, revokeJobTokens, revokeServiceToken, type RotatedToken } from "../tokens/registry";
import { lockJob } from "../db/locks";
import { markRevokedTokensDead, rememberTokenLane } from "../tokens/lanes";
import { isJobId } from "./ids";

export async function rotateJobToken({ token, jobId, ip }: { token: string; jobId: string; ip?: string | null }): Promise<RotatedToken> {
  if (!isJobId(jobId)) throw new AppError("invalid_token");
  const { rotated, workspaceId } = await db.$transaction(async (tx) => {
    const current = await findLiveJobToken(tx, token);
    if (!current || current.jobId !== jobId) throw new AppError("invalid_token");
    const job = await lockJob(tx, { workspaceId: current.workspaceId, jobId, mode: "share" });
    if (job?.status !== "running") throw new AppError("invalid_token");
    if (current.rotated) throw new AppError("already_rotated");
    return { rotated: await replaceJobToken(tx, current, { ip }), workspaceId: current.workspaceId };
  });
  await rememberTokenLane(rotated.token, workspaceId, rotated.expiresAt);
  return rotated;
}

/** A job token goes with every token of its job, so a stolen one cannot live on through a successor it minted. */
/** `workspaceId`/`kind` (the admin console): a token of another workspace or kind is the same not_found as none. */
export async function revokeToken({ tokenId, actor, workspaceId, kind, ip }: { tokenId: string; actor: AuditActor; workspaceId?: string; kind?: "service" | "job"; ip?: string | null }): Promise<{ revoked: true }> {
  const jobId = await db.$transaction(async (tx) => {
    const row = await findTokenById(tx, tokenId);
    if (!row || (workspaceId !== undefined && row.workspaceId !== workspaceId) || (kind !== undefined && row.kind !== kind)) throw new AppError("not_found", "No token has that id.");
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
        { workspaceId: row.workspaceId, actor, action: "token.revoked", target: `token:${tokenId}`, ip, data: { kind: row.kind, jobId: row.jobId, tokensRevoked: count } },
        tx,
      );
    }
    return row.jobId;
  });
  await markRevokedTokensDead(jobId ? { jobId } : { id: tokenId });
  return { revoked: true };
}
