// The bearer-token registry (SPEC §6): tokens exist only as SHA-256 in the database; validity is read from
// the database on every request, so a revocation holds on the very next request on every instance.
import "server-only";
import { timingSafeEqual } from "node:crypto";
import type { AuditActor } from "../audit";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db, type Tx } from "../db";
import { AppError } from "../http/errors";
import { log } from "../log";
import { generateToken, hashToken } from "./format";

/** How stale `lastUsedAt` may get: it is written at most once per interval, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export type TokenState = {
  expiresAt: Date;
  revokedAt: Date | null;
  graceUntil: Date | null;
};

/** Live: not revoked, not expired, and, once rotated, still inside its grace window. */
export function isTokenLive(t: TokenState, now: Date): boolean {
  return t.revokedAt === null && t.expiresAt > now && (t.graceUntil === null || t.graceUntil > now);
}

/** Compares the stored digest with ours in constant time (the index lookup already matched it). */
export function hashMatches(stored: Uint8Array | null | undefined, expected: Uint8Array): boolean {
  return !!stored && stored.length === expected.length && timingSafeEqual(stored, expected);
}

export function needsTouch(lastUsedAt: Date | null, now: Date): boolean {
  return lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS;
}

/** Records use at most once per LAST_USED_RESOLUTION_MS; never fails the request it belongs to. */
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
}: {
  workspaceId: string;
  name?: string;
  ttlSeconds?: number;
  actor: AuditActor;
}): Promise<{ tokenId: string; token: string; expiresAt: Date }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_SERVICE_TTL_SECONDS) {
    throw new AppError("validation_failed", `The token lifetime must be 60..${MAX_SERVICE_TTL_SECONDS} seconds.`);
  }
  const cleanName = name?.trim().slice(0, 100) || null;
  return db.$transaction(async (tx) => {
    const workspace = await tx.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } });
    if (!workspace) throw new AppError("not_found", "No such workspace.");
    const token = generateToken("service");
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const row = await tx.token.create({
      data: { kind: "service", workspaceId, name: cleanName, hash: hashToken(token), expiresAt },
      select: { id: true },
    });
    await appendAuditEvent(
      { workspaceId, actor, action: "token.issued", target: `token:${row.id}`, data: { kind: "service", name: cleanName, expiresAt } },
      tx,
    );
    return { tokenId: row.id, token, expiresAt };
  });
}

/** A job's first token; part of the job's creation transaction. It expires with the job. */
export async function insertJobToken(tx: Tx, { workspaceId, jobId, expiresAt }: { workspaceId: string; jobId: string; expiresAt: Date }) {
  const token = generateToken("job");
  const row = await tx.token.create({ data: { kind: "job", workspaceId, jobId, hash: hashToken(token), expiresAt }, select: { id: true } });
  return { tokenId: row.id, token };
}

export type ServicePrincipal = { tokenId: string; workspaceId: string };

/** The workspace a live service token speaks for; every failure is the same `invalid_token`. */
export async function authenticateServiceToken(token: string): Promise<ServicePrincipal> {
  const hash = hashToken(token);
  const row = await db.token.findUnique({
    where: { hash },
    select: { id: true, kind: true, workspaceId: true, hash: true, expiresAt: true, revokedAt: true, graceUntil: true, lastUsedAt: true },
  });
  const now = new Date();
  if (!row || row.kind !== "service" || !hashMatches(row.hash, hash) || !isTokenLive(row, now)) throw new AppError("invalid_token");
  if (needsTouch(row.lastUsedAt, now)) touchToken(row.id, now);
  return { tokenId: row.id, workspaceId: row.workspaceId };
}

/** Revokes one token by its id (operator CLI). Idempotent; the first revocation is audited. */
export async function revokeToken({ tokenId, actor }: { tokenId: string; actor: AuditActor }): Promise<{ revoked: true }> {
  await db.$transaction(async (tx) => {
    const row = await tx.token.findUnique({ where: { id: tokenId }, select: { workspaceId: true, kind: true, jobId: true, revokedAt: true } });
    if (!row) throw new AppError("not_found", "No token has that id.");
    const now = new Date();
    const { count } = await tx.token.updateMany({ where: { id: tokenId, revokedAt: null }, data: { revokedAt: now } });
    if (count === 1) {
      await appendAuditEvent(
        { workspaceId: row.workspaceId, actor, action: "token.revoked", target: `token:${tokenId}`, data: { kind: row.kind, jobId: row.jobId } },
        tx,
      );
    }
  });
  return { revoked: true };
}

/** Revokes every token of a job, inside the caller's transaction. */
export async function revokeJobTokens(tx: Tx, { workspaceId, jobId, now }: { workspaceId: string; jobId: string; now: Date }) {
  const { count } = await tx.token.updateMany({ where: { workspaceId, jobId, revokedAt: null }, data: { revokedAt: now } });
  return count;
}

export type RotatedToken = { token: string; expiresAt: Date; previousTokenValidUntil: Date };

/**
 * Replaces a live, never-rotated job token with a new one that expires when the old one did (rotation never
 * extends the job). The old token keeps working for the grace period, then stops. The conditional update
 * makes concurrent rotations of one token race-free: exactly one wins, the others change nothing.
 */
export async function rotateJobToken({ token, jobId, ip }: { token: string; jobId: string; ip?: string | null }): Promise<RotatedToken> {
  const hash = hashToken(token);
  const graceMs = getConfig().ttl.tokenRotationGraceSeconds * 1000;
  return db.$transaction(async (tx) => {
    const now = new Date();
    const old = await tx.token.findUnique({
      where: { hash },
      select: { id: true, kind: true, jobId: true, workspaceId: true, hash: true, expiresAt: true, revokedAt: true, graceUntil: true },
    });
    if (!old || old.kind !== "job" || !hashMatches(old.hash, hash) || !isTokenLive(old, now) || old.jobId !== jobId) {
      throw new AppError("invalid_token");
    }
    if (old.graceUntil !== null) throw new AppError("already_rotated");
    const fresh = generateToken("job");
    const created = await tx.token.create({
      data: { kind: "job", workspaceId: old.workspaceId, jobId, hash: hashToken(fresh), expiresAt: old.expiresAt },
      select: { id: true },
    });
    // Never past the token's own expiry: rotation must not lengthen anything.
    const graceUntil = new Date(Math.min(now.getTime() + graceMs, old.expiresAt.getTime()));
    const { count } = await tx.token.updateMany({
      where: { id: old.id, graceUntil: null, revokedAt: null, expiresAt: { gt: now } },
      data: { replacedById: created.id, graceUntil },
    });
    // Lost the race to a concurrent rotation (or a revocation): throwing rolls back the new token.
    if (count !== 1) throw new AppError("already_rotated");
    await appendAuditEvent(
      {
        workspaceId: old.workspaceId,
        actor: { type: "job", id: jobId },
        action: "token.rotated",
        target: `token:${old.id}`,
        ip,
        data: { jobId, replacedBy: created.id, graceUntil },
      },
      tx,
    );
    return { token: fresh, expiresAt: old.expiresAt, previousTokenValidUntil: graceUntil };
  });
}
