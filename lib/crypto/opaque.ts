import { createHash, randomBytes } from "node:crypto";

/** 32 random bytes, base64url (43 characters): link ids, session ids, pending-state ids. */
export function generateOpaqueId(): string {
  return randomBytes(32).toString("base64url");
}

export const OPAQUE_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isOpaqueId(value: unknown): value is string {
  return typeof value === "string" && OPAQUE_ID_PATTERN.test(value);
}

/** Hex SHA-256; what we store and use in keys instead of the id itself. */
export function sha256Hex(value: string | Buffer): string {
  return createHash("sha256").update(value).digest("hex");
}
