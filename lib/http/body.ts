import "server-only";
import { AppError } from "../errors";

// The rest of the body is never read, so the connection cannot carry another request: say so, or a keep-alive
// client sends its next request into a socket about to be reset.
const tooLarge = () => new AppError("payload_too_large", undefined, { headers: { Connection: "close" } });

/** Reads a request body as text, refusing (413) anything over `limit` bytes without buffering it all. */
export async function readBodyLimited(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The `application/x-www-form-urlencoded` fields of a small form post; other content types are refused. */
export async function readForm(req: Request, limit = 4096): Promise<URLSearchParams> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new AppError("unsupported_media_type");
  return new URLSearchParams(await readBodyLimited(req, limit));
}
