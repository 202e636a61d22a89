// When a connection's access token must be refreshed before it is handed out (SPEC §12): within 5 minutes of its
// expiry, or within half its lifetime when that is shorter, so a provider issuing 2-minute tokens is not refreshed on
// every read. A token without an expiry is never due. An expiry that is not a real instant counts as expired.

export const REFRESH_AHEAD_MS = 5 * 60_000;

type Times = { expiresAt: Date | null; obtainedAt: Date | null };

const ms = (d: Date | null) => (d instanceof Date ? d.getTime() : NaN);

export function isTokenExpired({ expiresAt }: Pick<Times, "expiresAt">, now: Date): boolean {
  if (expiresAt === null) return false;
  const end = ms(expiresAt);
  return !Number.isFinite(end) || end <= now.getTime();
}

export function isRefreshDue({ expiresAt, obtainedAt }: Times, now: Date): boolean {
  if (expiresAt === null) return false;
  const end = ms(expiresAt);
  if (!Number.isFinite(end)) return true;
  const start = ms(obtainedAt);
  const lifetime = Number.isFinite(start) ? end - start : Infinity;
  const ahead = Math.min(REFRESH_AHEAD_MS, Math.max(0, lifetime / 2));
  return end - now.getTime() <= ahead;
}
