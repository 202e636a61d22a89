import { describe, expect, it } from "vitest";
import { isRefreshDue, isTokenExpired } from "./freshness";

const now = new Date("2026-12-03T12:00:00.000Z");
const at = (s: number) => new Date(now.getTime() + s * 1000);

describe("when a connection's token is due for refresh", () => {
  it.each<[string, Date | null, Date | null, boolean]>([
    ["no expiry: never", null, at(-86_400), false],
    ["an hour-long token with 10 minutes left", at(600), at(-3000), false],
    ["an hour-long token with 5 minutes left", at(300), at(-3300), true],
    ["an hour-long token with 4 minutes left", at(240), at(-3360), true],
    ["an expired token", at(-1), at(-3601), true],
    ["a fresh 2-minute token (half its life left is not yet due)", at(119), at(-1), false],
    ["a 2-minute token at half its life", at(60), at(-60), true],
    ["an expiry that is not an instant", new Date(NaN), at(-10), true],
    ["an unknown start: 5 minutes ahead", at(200), new Date(NaN), true],
  ])("%s", (_, expiresAt, obtainedAt, due) => {
    expect(isRefreshDue({ expiresAt, obtainedAt }, now)).toBe(due);
  });

  it("expired means at or past the expiry; none never expires; an invalid one has", () => {
    expect(isTokenExpired({ expiresAt: null }, now)).toBe(false);
    expect(isTokenExpired({ expiresAt: at(1) }, now)).toBe(false);
    expect(isTokenExpired({ expiresAt: now }, now)).toBe(true);
    expect(isTokenExpired({ expiresAt: new Date(NaN) }, now)).toBe(true);
  });
});
