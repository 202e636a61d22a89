// The SQL twin is for statements that must decide under a row lock on the database clock.
import { timingSafeEqual } from "node:crypto";

export type TokenState = { expiresAt: Date; revokedAt: Date | null; graceUntil: Date | null };

export function isTokenLive(t: TokenState, now: Date): boolean {
  return t.revokedAt === null && t.expiresAt > now && (t.graceUntil === null || t.graceUntil > now);
}

export function liveTokenSql(alias: string): string {
  if (!/^[a-z_]+$/.test(alias)) throw new Error("liveTokenSql: the alias must be a plain identifier");
  return `${alias}.revoked_at IS NULL AND ${alias}.expires_at > now() AND (${alias}.grace_until IS NULL OR ${alias}.grace_until > now())`;
}

/** Constant time, although the index lookup already matched it. */
export function hashMatches(stored: Uint8Array | null | undefined, expected: Uint8Array): boolean {
  return !!stored && stored.length === expected.length && timingSafeEqual(stored, expected);
}
