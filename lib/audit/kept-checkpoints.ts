// The checkpoints someone outside kept (`audit verify --file F --checkpoints C`): what GET /api/v1/audit/checkpoints
// returned, `{"checkpoints":[…],"nextAfter":…}`, one page or several concatenated (or one per line), a JSON array of
// checkpoints, or NDJSON of checkpoint objects (the API's, or an export's checkpoint lines). No database here.
import type { SignedClaim } from "./signing";

export class KeptCheckpointsError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The top-level JSON values of `text`, back to back or separated by whitespace. */
function* jsonValues(text: string): Generator<unknown> {
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) return;
    const start = i;
    const first = text[i]!;
    if (first !== "{" && first !== "[") throw new KeptCheckpointsError(`expected { or [ at character ${start + 1}`);
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) throw new KeptCheckpointsError(`unterminated JSON value at character ${start + 1}`);
    i++;
    try {
      yield JSON.parse(text.slice(start, i));
    } catch {
      throw new KeptCheckpointsError(`not JSON at character ${start + 1}`);
    }
  }
}

function checkpointOf(v: unknown, n: number): SignedClaim {
  const ok =
    isObject(v) &&
    (v.type === undefined || v.type === "checkpoint") &&
    typeof v.workspaceId === "string" &&
    Number.isSafeInteger(v.seq) &&
    (v.seq as number) >= 1 &&
    typeof v.hash === "string" &&
    typeof v.signature === "string" &&
    typeof v.keyId === "string";
  if (!ok) throw new KeptCheckpointsError(`checkpoint ${n} needs workspaceId, seq, hash, signature and keyId`);
  return { workspaceId: v.workspaceId as string, seq: v.seq as number, hash: v.hash as string, signature: v.signature as string, keyId: v.keyId as string };
}

/** Every checkpoint in the file, in the order found; throws KeptCheckpointsError on anything else. */
export function parseKeptCheckpoints(text: string): SignedClaim[] {
  const found: unknown[] = [];
  for (const value of jsonValues(text)) {
    if (Array.isArray(value)) found.push(...(value as unknown[]));
    else if (isObject(value) && "checkpoints" in value) {
      if (!Array.isArray(value.checkpoints)) throw new KeptCheckpointsError('"checkpoints" must be an array');
      found.push(...(value.checkpoints as unknown[]));
    } else found.push(value);
  }
  return found.map((v, i) => checkpointOf(v, i + 1));
}
