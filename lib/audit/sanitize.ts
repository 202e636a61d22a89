// Strings are made well-formed and NUL-free: Postgres would store something other than what we hashed, or refuse
// the row. Unlike the log redactor this keeps names (secret names, token ids), which the audit log must record.

const CREDENTIAL_KEYS = new Set(["value", "token", "password", "ciphertext", "initdata", "authorization", "cookie", "secretvalue", "plaintext"]);
const TOKEN_SHAPE = /\bgh_(?:svc|job)_[A-Za-z0-9_-]{20,}/g;
const OPAQUE_ID = /^[A-Za-z0-9_-]{43}$/;
export const REDACTED = "[redacted]";

export function cleanString(value: string): string {
  const s = value.toWellFormed().replace(/\u0000/g, "");
  if (OPAQUE_ID.test(s)) return REDACTED;
  return s.replace(TOKEN_SHAPE, REDACTED);
}

export function cleanAuditData(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "string") return cleanString(value);
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return "[bytes]";
  if (Array.isArray(value)) return value.map((v) => cleanAuditData(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[cleanString(k)] = CREDENTIAL_KEYS.has(k.toLowerCase()) ? REDACTED : cleanAuditData(v, depth + 1);
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  if (typeof value === "bigint") return value.toString();
  return value;
}
