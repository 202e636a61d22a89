import { createHmac } from "node:crypto";
import { getConfig } from "../config";

/**
 * A short keyed digest of personal data an audit event must correlate without naming (an OAuth subject, a Telegram
 * id). Keyed, because such ids are small enough to brute-force from an unkeyed hash by anyone who reads the audit.
 */
export function auditDigest(value: string): string {
  const key = createHmac("sha256", getConfig().authSecret).update("gatehouse audit digest v1").digest();
  return createHmac("sha256", key).update(value).digest("hex").slice(0, 16);
}
