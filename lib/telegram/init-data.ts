import "server-only";
import { validate } from "@tma.js/init-data-node";
import { getConfig } from "../config";
import { sha256Hex } from "../crypto/opaque";
import { AppError } from "../errors";
import { redis } from "../redis/client";
import { redisKeys } from "../redis/keys";
import { durably } from "../redis/replicated";

export const MAX_INIT_DATA_LENGTH = 4096;
/** How far in the future auth_date may be (clock skew between Telegram and us). */
export const AUTH_DATE_SKEW_SECONDS = 60;

export type VerifiedInitData = {
  telegramUserId: string;
  /** Telegram's first and last name of the user, for a user created on the way in (an invite). */
  name?: string;
  startParam?: string;
  /** The signature: unique per initData, so it names it for the replay guard. */
  hash: string;
  authDate: Date;
};

/** Said when the data verifies but is too old (or was already used): the user did nothing wrong, it only aged. */
export const INIT_DATA_EXPIRED = "This Telegram sign-in has expired or was already used. Open the Mini App again from the bot.";

/**
 * Every failure is `invalid_init_data`. Malformed or badly signed data says only that it could not be verified
 * (which check failed stays unsaid); data that verifies but is too old says so, since only its holder can learn it.
 */
export function verifyInitData(raw: unknown): VerifiedInitData {
  const { telegram, ttl } = getConfig();
  if (!telegram.botToken) throw new AppError("unavailable", "Telegram sign-in is not configured.");
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_INIT_DATA_LENGTH) throw invalid();

  const params = new URLSearchParams(raw);
  const keys = [...params.keys()];
  // Every pair is signed but get() reads only the first of a repeated key; refuse rather than pick one.
  if (new Set(keys).size !== keys.length) throw invalid();

  try {
    // The age is checked below, once the signature and auth_date are known good.
    validate(params, telegram.botToken, { expiresIn: 0 });
  } catch {
    throw invalid();
  }

  // Not the library's parser: it demands fields (`signature`) older clients omit; the HMAC covers every pair.
  const authDate = params.get("auth_date") ?? "";
  const hash = params.get("hash") ?? "";
  if (!/^[0-9]{1,12}$/.test(authDate) || !/^[0-9a-f]{64}$/.test(hash)) throw invalid();
  const authDateMs = Number(authDate) * 1000;
  if (authDateMs > Date.now() + AUTH_DATE_SKEW_SECONDS * 1000) throw invalid();
  if (authDateMs + ttl.telegramInitDataMaxAgeSeconds * 1000 < Date.now()) throw new AppError("invalid_init_data", INIT_DATA_EXPIRED);

  const user = userOf(params.get("user"));
  if (user === null) throw invalid();
  const startParam = params.get("start_param") ?? "";

  return {
    telegramUserId: String(user.id),
    ...(user.name ? { name: user.name } : {}),
    ...(startParam ? { startParam } : {}),
    hash,
    authDate: new Date(authDateMs),
  };
}

function userOf(userJson: string | null): { id: number; name: string } | null {
  if (!userJson) return null;
  try {
    const user: unknown = JSON.parse(userJson);
    const { id, first_name, last_name } = (user && typeof user === "object" ? user : {}) as { id?: unknown; first_name?: unknown; last_name?: unknown };
    // Telegram ids fit in 52 bits; anything JSON.parse cannot hold exactly is refused rather than rounded.
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0) return null;
    const name = [first_name, last_name].filter((p): p is string => typeof p === "string").join(" ").replace(/[\p{Cc}\p{Cf}]/gu, "").trim().slice(0, 100);
    return { id, name };
  } catch {
    return null;
  }
}

const invalid = () => new AppError("invalid_init_data");

/**
 * The replay guard (SPEC §5): each initData is accepted once, wherever it is used (Mini App sign-in, a link's
 * Continue). SET NX, so of concurrent users of one initData exactly one gets true. Redis errors propagate (→ 503).
 */
export async function claimInitData(verified: VerifiedInitData): Promise<boolean> {
  // Covers the whole time the initData verifies: auth_date may be up to the skew ahead of our clock.
  const ttl = getConfig().ttl.telegramInitDataMaxAgeSeconds + AUTH_DATE_SKEW_SECONDS;
  return (await durably((r) => r.set(redisKeys.telegramReplay(sha256Hex(verified.hash)), "1", "EX", ttl, "NX"))) === "OK";
}

/** An early, non-consuming look (so a used initData cannot even list workspaces); claimInitData is what guarantees once. */
export async function initDataWasUsed(verified: VerifiedInitData): Promise<boolean> {
  return (await redis.exists(redisKeys.telegramReplay(sha256Hex(verified.hash)))) === 1;
}
