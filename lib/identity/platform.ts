import { AppError } from "../errors";

export const PLATFORMS = ["telegram", "slack"] as const;
export type Platform = (typeof PLATFORMS)[number];

export type PlatformIdentityRef = { platform: Platform; externalId: string };

/**
 * The one rule for Telegram ids (users, chats, threads), used at job creation and at delivery alike: digits,
 * optionally negative (groups), and a safe integer, since JSON numbers and the Bot API client carry no more.
 */
export function isTelegramId(value: string, sign: "positive" | "negative"): boolean {
  const pattern = sign === "positive" ? /^[1-9][0-9]{0,15}$/ : /^-[1-9][0-9]{0,15}$/;
  return pattern.test(value) && Number.isSafeInteger(Number(value));
}

const FORMATS: Record<Platform, { pattern: RegExp; hint: string }> = {
  telegram: { pattern: /^[1-9][0-9]{0,15}$/, hint: "a numeric Telegram user id" },
  slack: { pattern: /^T[A-Z0-9]{2,20}:[UW][A-Z0-9]{2,20}$/, hint: '"<team id>:<user id>", e.g. T0123ABCD:U0456EFGH' },
};

/** Validates a platform identity (telegram:<id>, slack:<team>:<user>) into its canonical form. */
export function parsePlatformIdentity(platform: string, externalId: string): PlatformIdentityRef {
  if (!PLATFORMS.includes(platform as Platform)) {
    throw new AppError("validation_failed", `Unknown platform "${platform}"; use one of ${PLATFORMS.join(", ")}.`);
  }
  const format = FORMATS[platform as Platform];
  const id = externalId.trim();
  if (!format.pattern.test(id) || (platform === "telegram" && !isTelegramId(id, "positive"))) {
    throw new AppError("validation_failed", `A ${platform} id must be ${format.hint}.`);
  }
  return { platform: platform as Platform, externalId: id };
}

export function formatPlatformIdentity({ platform, externalId }: PlatformIdentityRef) {
  return `${platform}:${externalId}`;
}
