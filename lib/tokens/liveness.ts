// "Is this token live", written once: in TypeScript for rows already read, and as its SQL twin for
// statements that must decide under a row lock on the database clock.
import { timingSafeEqual } from "node:crypto";

export type TokenState = { expiresAt: Date; revokedAt: Date | null; graceUntil: Date | null };

/** Live: not revoked, not expired, and, once rotated, still inside its grace window. */
export function isTokenLive(t: TokenState, now: Date): boolean {
  return t.revokedAt === null && t.expiresAt > now && (t.graceUntil === null || t.graceUntil > now);
}

/** `isTokenLive` as a predicate over the tokens row `alias`. */
export function liveTokenSql(alias: string): string {
  return `${alias}.revoked_at IS NULL AND ${alias}.expires_at > now() AND (${alias}.grace_until IS NULL OR ${alias}.grace_until > now())`;
}

/** Compares the stored digest with ours in constant time (the index lookup already matched it). */
export function hashMatches(stored: Uint8Array | null | undefined, expected: Uint8Array): boolean {
  return !!stored && stored.length === expected.length && timingSafeEqual(stored, expected);
}
