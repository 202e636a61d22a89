// Invite codes (SPEC §13): gh_inv_<43 base64url chars>, 32 random bytes, recognisable by secret scanners. Only the
// SHA-256 of the whole code is stored. In a Telegram Mini App link the code travels as start_param
// `inv_<code without gh_inv_>` (47 characters of Telegram's allowed [A-Za-z0-9_-], within its 64).
import { createHash } from "node:crypto";
import { generateOpaqueId } from "../crypto/opaque";

const PREFIX = "gh_inv_";
const START_PARAM_PREFIX = "inv_";
export const INVITE_CODE_PATTERN = /^gh_inv_[A-Za-z0-9_-]{43}$/;

export function generateInviteCode(): string {
  return `${PREFIX}${generateOpaqueId()}`;
}

/** Any presented string, well-formed or not, costs the same hash before anything is decided about it. */
export function hashInviteCode(code: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(code, "utf8").digest());
}

export function isInviteCode(code: string): boolean {
  return INVITE_CODE_PATTERN.test(code);
}

/** The code a Mini App start_param carries, or null when it names no invite (a workspace id, or nothing). */
export function inviteCodeFromStartParam(startParam: string | undefined): string | null {
  if (!startParam?.startsWith(START_PARAM_PREFIX)) return null;
  return `${PREFIX}${startParam.slice(START_PARAM_PREFIX.length)}`;
}

export function inviteStartParam(code: string): string {
  return `${START_PARAM_PREFIX}${code.slice(PREFIX.length)}`;
}
