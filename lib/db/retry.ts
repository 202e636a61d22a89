import "server-only";
import { db, type Tx } from "./client";

/** After a lost unique-index or serialisation race, the retry sees the winner's row and takes the "exists" path. */
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
