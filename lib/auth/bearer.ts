import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { rateLimitSubject } from "../http/request";
import { enforceRateLimit } from "../ratelimit/fixed-window";
import { tokenKindOf, type TokenKind } from "../tokens/format";
import { ensureLanes, laneOf, tokenLaneKey } from "../tokens/lanes";

/** Missing, malformed or other-kind is the one `invalid_token`, so the answer says nothing about which check failed. */
export function bearerToken(headers: Headers, kind: TokenKind): string {
  const header = headers.get("authorization");
  if (!header) throw new AppError("invalid_token");
  const space = header.indexOf(" ");
  const scheme = space < 0 ? header : header.slice(0, space);
  if (scheme.toLowerCase() !== "bearer") throw new AppError("unsupported_auth_scheme");
  const token = header.slice(space + 1).trim();
  if (tokenKindOf(token) !== kind) throw new AppError("invalid_token");
  return token;
}

const UNKNOWN = "unknown-token";

/**
 * Counted before the database is asked: the token's own budget (keyed by a digest, so the token never reaches
 * Redis), read with its queue lane in one script. A token Gatehouse cannot place (no lane: it never issued it, or
 * Redis lost the lane) also counts, atomically, against its client address, so a flood of random tokens is
 * turned away here, before any queue, while tokens Gatehouse issued keep their workspace's lane (a worker behind
 * the same NAT is not locked out). A token known dead is refused here. Redis down is 503, never unlimited.
 */
export async function budgetedBearer(headers: Headers, kind: TokenKind, ip: string): Promise<{ token: string; lane: string }> {
  const token = bearerToken(headers, kind);
  const { tokenPerMinute, unknownTokenPerMinute } = getConfig().rateLimits;
  const hint = await enforceRateLimit({ bucket: `token-${kind}`, subject: token, limit: tokenPerMinute, alsoRead: tokenLaneKey(token) });
  const lane = laneOf(hint);
  if (lane === null) throw new AppError("invalid_token");
  if (hint === null) {
    ensureLanes();
    // With no address we can trust (TRUST_PROXY_HOPS=0, or a short X-Forwarded-For), one bucket would be everyone's.
    const subject = rateLimitSubject(ip);
    if (subject) await enforceRateLimit({ bucket: UNKNOWN, subject, limit: unknownTokenPerMinute });
  }
  return { token, lane };
}
