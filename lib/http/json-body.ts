import "server-only";
import type { z } from "zod";
import { readBodyLimited } from "./body";
import { AppError } from "../errors";

export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * A value that matches no option of a union (a grant is a secret, a connection or an MCP grant): the issues of the
 * option it came closest to (fewest problems), under their full path, rather than one vague issue at the union.
 */
function closestIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];
  const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
  if (best.length === 0) return [issue];
  return best.flatMap((i) => closestIssues({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue));
}

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
    const fields = parsed.error.issues.flatMap(closestIssues).slice(0, 20).map((i) => ({
      path: i.path.join(".").slice(0, 200) || "(body)",
      message: i.code === "unrecognized_keys" ? `Unknown field(s): ${i.keys.map((k) => k.slice(0, 64)).join(", ").slice(0, 300)}` : i.message,
    }));
    throw new AppError("validation_failed", message, { details: { fields } });
  }
  return parsed.data;
}
