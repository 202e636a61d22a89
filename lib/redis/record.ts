import type { z } from "zod";

/**
 * A record read back from Redis, checked against its schema. Anything else (missing, not JSON, the wrong
 * shape) is no record: state that cannot be trusted denies, it never reaches a handler as a 500.
 */
export function parseRecord<S extends z.ZodType>(schema: S, raw: string | null | undefined): z.infer<S> | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
