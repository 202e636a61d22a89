import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { countHit, countInWindow, enforceRateLimit, rateLimited } from "../ratelimit/fixed-window";
import { tokenKindOf, type TokenKind } from "../tokens/format";
import { laneOf, tokenLaneKey } from "../tokens/lanes";

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

const REFUSED = "refused-token";

/**
 * Counted before the database is asked, in one round trip: the token's own budget (keyed by a digest, so the token
 * never reaches Redis) with its queue lane, and how many tokens the client address had refused this minute. Past
 * that budget an address's unknown tokens are turned away here, before any queue; tokens Gatehouse issued keep
 * going to their workspace's lane, so a worker sharing an address with a flood is not locked out. Redis down is
 * 503, never unlimited.
 */
export async function budgetedBearer(headers: Headers, kind: TokenKind, ip: string): Promise<{ token: string; lane: string }> {
  const token = bearerToken(headers, kind);
  const { tokenPerMinute, refusedTokenPerMinute } = getConfig().rateLimits;
  const [hint, refused] = await Promise.all([
    enforceRateLimit({ bucket: `token-${kind}`, subject: token, limit: tokenPerMinute, alsoRead: tokenLaneKey(token) }),
    countInWindow({ bucket: REFUSED, subject: ip }),
  ]);
  const lane = laneOf(hint);
  if (lane === null) throw new AppError("invalid_token");
  if (hint === null && refused >= refusedTokenPerMinute) rateLimited();
  return { token, lane };
}

/** Every well-formed token the database refuses counts against the client address (see budgetedBearer). */
export async function countingRefusals<T>(ip: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    // A lost count (Redis gone meanwhile) must not turn the 401 into anything else.
    if (err instanceof AppError && err.code === "invalid_token") await countHit({ bucket: REFUSED, subject: ip }).catch(() => undefined);
    throw err;
  }
}
