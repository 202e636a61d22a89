// Bearer token format (SPEC §6): gh_<kind>_<43 base64url chars>, recognisable by secret scanners.
import { createHash, randomBytes } from "node:crypto";

export type TokenKind = "service" | "job";

const SHORT: Record<TokenKind, string> = { service: "svc", job: "job" };
const TOKEN_PATTERN = /^gh_(svc|job)_[A-Za-z0-9_-]{43}$/;

export function generateToken(kind: TokenKind): string {
  return `gh_${SHORT[kind]}_${randomBytes(32).toString("base64url")}`;
}

export function tokenKindOf(token: string): TokenKind | null {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return null;
  return m[1] === "svc" ? "service" : "job";
}

export function hashToken(token: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash("sha256").update(token, "utf8").digest());
}
