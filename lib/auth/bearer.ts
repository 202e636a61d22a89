import "server-only";
import { getConfig } from "../config";
import { AppError } from "../errors";
import { enforceRateLimit } from "../ratelimit/fixed-window";
import { tokenKindOf, type TokenKind } from "../tokens/format";

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

/** Counted before the database is asked. */
export async function budgetedBearer(headers: Headers, kind: TokenKind): Promise<string> {
  const token = bearerToken(headers, kind);
  // Keyed by a digest of the token, so the token itself never reaches Redis; Redis down is 503, never unlimited.
  await enforceRateLimit({ bucket: `token-${kind}`, subject: token, limit: getConfig().rateLimits.tokenPerMinute });
  return token;
}
