import "server-only";
import type { z } from "zod";
import { readBodyLimited } from "./body";
import { AppError } from "../errors";

export const MAX_JSON_BODY_BYTES = 64 * 1024;

export async function readJson<S extends z.ZodType>(
  req: Request,
  schema: S,
  { maxBytes = MAX_JSON_BODY_BYTES, message }: { maxBytes?: number; message?: string } = {},
): Promise<z.infer<S>> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new AppError("unsupported_media_type", "Send a JSON body with Content-Type: application/json.");
  const text = await readBodyLimited(req, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid_json");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    // Messages never quote values; unknown keys are named, but cut short (they come from the caller).
    const fields = parsed.error.issues.slice(0, 20).map((i) => ({
      path: i.path.join(".").slice(0, 200) || "(body)",
      message: i.code === "unrecognized_keys" ? `Unknown field(s): ${i.keys.map((k) => k.slice(0, 64)).join(", ").slice(0, 300)}` : i.message,
    }));
    throw new AppError("validation_failed", message, { details: { fields } });
  }
  return parsed.data;
}
