// Tokens are stored only as SHA-256 and checked in the database on every request, so a revocation holds at once
// on every instance (SPEC §6).
import "server-only";
import { rememberTokenLane } from "./lanes";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db, type Tx } from "../db/client";
import { AppError } from "../errors";
import { log } from "../log";
import { Prisma } from "@/generated/prisma/client";
import { lockJobTokens } from "../db/locks";
import { workspaceExists } from "../workspaces/workspace";
import { generateToken, hashToken, type TokenKind } from "./format";
import { hashMatches, isTokenLive, liveTokenSql } from "./liveness";

export const LAST_USED_RESOLUTION_MS = 60_000;

export function needsTouch(lastUsedAt: Date | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS;
}

/** Fire-and-forget: never fails the request it belongs to. */
export function touchToken(tokenId: string, now: Date) {
  const before = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
  db.token
    .updateMany({ where: { id: tokenId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: before } }] }, data: { lastUsedAt: now } })
    .catch((err: unknown) => log.warn({ err }, "could not record token use"));
}

const MAX_SERVICE_TTL_SECONDS = 400 * 86400;
const DEFAULT_SERVICE_TTL_SECONDS = 90 * 86400;

export async function issueServiceToken({
  workspaceId,
  name,
  ttlSeconds = DEFAULT_SERVICE_TTL_SECONDS,
  actor,
  ip,
}: {
  workspaceId: string;
  name?: string;
  ttlSeconds?: number;
  actor: AuditActor;
  ip?: string | null;
}): Promise<{ tokenId: string; token: string; expiresAt: Date }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_SERVICE_TTL_SECONDS) {
    throw new AppError("validation_failed", `The token lifetime must be 60..${MAX_SERVICE_TTL_SECONDS} seconds.`);
  }
  const cleanName = name?.trim().slice(0, 100) || null;
  const issued = await db.$transaction(async (tx) => {
    if (!(await workspaceExists(tx, workspaceId))) throw new AppError("not_found", "No such workspace.");
    const token = generateToken("service");
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const row = await tx.token.create({
      data: { kind: "service", workspaceId, name: cleanName, hash: hashToken(token), expiresAt },
      select: { id: true },
    });
    await appendAuditEvent(
      { workspaceId, actor, action: "token.issued", target: `token:${row.id}`, ip, data: { kind: "service", name: cleanName, expiresAt } },
      tx,
    );
    return { tokenId: row.id, token, expiresAt };
  });
  await rememberTokenLane(issued.token, workspaceId, issued.expiresAt);
  return issued;
}

export async function insertJobToken(tx: Tx, { workspaceId, jobId, expiresAt }: { workspaceId: string; jobId: string; expiresAt: Date }) {
  const token = generateToken("job");
  const row = await tx.token.create({ data: { kind: "job", workspaceId, jobId, hash: hashToken(token), expiresAt }, select: { id: true } });
  return { tokenId: row.id, token };
}

export type ServicePrincipal = { tokenId: string; workspaceId: string; expiresAt: Date };

export async function findLiveToken(tx: Tx, token: string, kind: TokenKind) {
  const hash = hashToken(token);
  const row = await tx.token.findUnique({
    where: { hash },
    select: { id: true, kind: true, jobId: true, workspaceId: true, hash: true, expiresAt: true, revokedAt: true, graceUntil: true, lastUsedAt: true },
  });
  if (!row || row.kind !== kind || !hashMatches(row.hash, hash) || !isTokenLive(row, new Date())) return null;
  return row;
}

/** Every failure is the same `invalid_token`. */
export async function authenticateServiceToken(token: string): Promise<ServicePrincipal> {
  const row = await findLiveToken(db, token, "service");
  if (!row) throw new AppError("invalid_token");
  const now = new Date();
  if (needsTouch(row.lastUsedAt, now)) touchToken(row.id, now);
  return { tokenId: row.id, workspaceId: row.workspaceId, expiresAt: row.expiresAt };
}

/** FOR SHARE until commit, so a revocation waits: a request authenticated just before it cannot still act. */
export async function lockLiveServiceToken(tx: Tx, tokenId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM tokens
    WHERE id = ${tokenId}::uuid AND kind = 'service' AND ${Prisma.raw(liveTokenSql("tokens"))}
    FOR SHARE`;
  if (rows.length !== 1) throw new AppError("invalid_token");
}

export type ServiceTokenSummary = { tokenId: string; name: string | null; createdAt: Date; expiresAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

/** The workspace's service tokens, newest first: names and times, never a hash. */
export async function listServiceTokens({ workspaceId }: { workspaceId: string }): Promise<ServiceTokenSummary[]> {
  const rows = await db.token.findMany({
    where: { workspaceId, kind: "service" },
    orderBy: { createdAt: "desc" },
    take: 500,
    select: { id: true, name: true, createdAt: true, expiresAt: true, lastUsedAt: true, revokedAt: true },
  });
  return rows.map(({ id, ...r }) => ({ tokenId: id, ...r }));
}

export async function findTokenById(tx: Tx, tokenId: string) {
  return tx.token.findUnique({ where: { id: tokenId }, select: { id: true, workspaceId: true, kind: true, jobId: true } });
}

export async function revokeServiceToken(tx: Tx, { tokenId, now }: { tokenId: string; now: Date }) {
  const { count } = await tx.token.updateMany({ where: { id: tokenId, kind: "service", revokedAt: null }, data: { revokedAt: now } });
  return count === 1;
}

/** Every token: two are live during a rotation's grace window. */
export async function revokeJobTokens(tx: Tx, { workspaceId, jobId, now }: { workspaceId: string; jobId: string; now: Date }) {
  await lockJobTokens(tx, { workspaceId, jobId });
  const { count } = await tx.token.updateMany({ where: { workspaceId, jobId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

export type RotatedToken = { token: string; expiresAt: Date; previousTokenValidUntil: Date };

/** Read without locks: the caller locks the job, then replaces (lock order). */
export async function findLiveJobToken(tx: Tx, token: string) {
  const row = await findLiveToken(tx, token, "job");
  if (!row?.jobId) return null;
  return { id: row.id, jobId: row.jobId, workspaceId: row.workspaceId, expiresAt: row.expiresAt, rotated: row.graceUntil !== null };
}

// Rotation never extends a job: the new token expires with the old. The conditional update lets exactly one
// concurrent rotation win; the losers roll back their new token.
export async function replaceJobToken(
  tx: Tx,
  old: { id: string; jobId: string; workspaceId: string; expiresAt: Date },
  { ip }: { ip?: string | null } = {},
): Promise<RotatedToken> {
  const now = new Date();
  const graceMs = getConfig().ttl.tokenRotationGraceSeconds * 1000;
  const fresh = generateToken("job");
  const created = await tx.token.create({
    data: { kind: "job", workspaceId: old.workspaceId, jobId: old.jobId, hash: hashToken(fresh), expiresAt: old.expiresAt },
    select: { id: true },
  });
  const graceUntil = new Date(Math.min(now.getTime() + graceMs, old.expiresAt.getTime()));
  const { count } = await tx.token.updateMany({
    where: { id: old.id, graceUntil: null, revokedAt: null, expiresAt: { gt: now } },
    data: { replacedById: created.id, graceUntil },
  });
  if (count !== 1) throw new AppError("already_rotated");
  await appendAuditEvent(
    {
      workspaceId: old.workspaceId,
      actor: { type: "job", id: old.jobId },
      action: "token.rotated",
      target: `token:${old.id}`,
      ip,
      data: { jobId: old.jobId, replacedBy: created.id, graceUntil },
    },
    tx,
  );
  return { token: fresh, expiresAt: old.expiresAt, previousTokenValidUntil: graceUntil };
}
