import "server-only";
import { validate } from "@tma.js/init-data-node";
import { getConfig } from "../config";
import { AppError } from "../errors";

export const MAX_INIT_DATA_LENGTH = 4096;
/** How far in the future auth_date may be (clock skew between Telegram and us). */
export const AUTH_DATE_SKEW_SECONDS = 60;

export type VerifiedInitData = {
  telegramUserId: string;
  startParam?: string;
  /** The signature: unique per initData, so it names it for the replay guard. */
  hash: string;
  authDate: Date;
};

/** Every failure is the same `invalid_init_data`, so callers learn nothing about which check failed. */
export function verifyInitData(raw: unknown): VerifiedInitData {
  const { telegram, ttl } = getConfig();
  if (!telegram.botToken) throw new AppError("unavailable", "Telegram sign-in is not configured.");
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_INIT_DATA_LENGTH) throw invalid();

  const params = new URLSearchParams(raw);
  const keys = [...params.keys()];
  // Every pair is signed but get() reads only the first of a repeated key; refuse rather than pick one.
  if (new Set(keys).size !== keys.length) throw invalid();

  try {
    validate(params, telegram.botToken, { expiresIn: ttl.telegramInitDataMaxAgeSeconds });
  } catch {
    throw invalid();
  }

  // Not the library's parser: it demands fields (`signature`) older clients omit; the HMAC covers every pair.
  const authDate = params.get("auth_date") ?? "";
  const hash = params.get("hash") ?? "";
  if (!/^[0-9]{1,12}$/.test(authDate) || !/^[0-9a-f]{64}$/.test(hash)) throw invalid();
  const authDateMs = Number(authDate) * 1000;
  if (authDateMs > Date.now() + AUTH_DATE_SKEW_SECONDS * 1000) throw invalid();

  const id = userIdOf(params.get("user"));
  if (id === null) throw invalid();
  const startParam = params.get("start_param") ?? "";

  return {
    telegramUserId: String(id),
    ...(startParam ? { startParam } : {}),
    hash,
    authDate: new Date(authDateMs),
  };
}

function userIdOf(userJson: string | null): number | null {
  if (!userJson) return null;
  try {
    const user: unknown = JSON.parse(userJson);
    const id = user && typeof user === "object" ? (user as { id?: unknown }).id : undefined;
    // Telegram ids fit in 52 bits; anything JSON.parse cannot hold exactly is refused rather than rounded.
    return typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}

const invalid = () => new AppError("invalid_init_data");
