import "server-only";
import { db, type Tx } from "./client";

/**
 * Runs `fn` in a transaction, retrying a few times when it lost a race on a unique index (P2002) or a
 * serialisation check (P2034/40001); the retry sees the winner's row and takes the "exists" path.
 */
export async function transactWithRetry<T>(fn: (tx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction(fn);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= attempts || !["P2002", "P2034", "40001"].includes(code ?? "")) throw err;
    }
  }
}
