// The start-up master-key check, and `gatehouse keys rotate`.
import "server-only";
import { appendAuditEvent } from "../audit";
import type { MasterKey } from "../config";
import { getConfig } from "../config";
import { DecryptError, open, seal } from "../crypto/secret-box";
import { db } from "../db/client";

/** Problems that must stop the process. One sample per key id keeps this constant in the number of secrets. */
export async function checkMasterKeys(keys: readonly MasterKey[] = getConfig().masterKeys): Promise<string[]> {
  const inUse = await db.$queryRaw<{ key_id: string; count: bigint }[]>`SELECT key_id, count(*) AS count FROM secrets GROUP BY key_id ORDER BY key_id`;
  const problems: string[] = [];
  for (const { key_id: keyId, count } of inUse) {
    if (!keys.some((k) => k.id === keyId)) {
      problems.push(`${count} stored secret(s) are encrypted with key "${keyId}", which GATEHOUSE_MASTER_KEYS does not contain`);
      continue;
    }
    const sample = await db.secret.findFirst({
      where: { keyId },
      select: { workspaceId: true, userId: true, name: true, ciphertext: true },
      orderBy: { id: "asc" },
    });
    if (!sample) continue;
    try {
      open(keys, sample, sample.ciphertext);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      problems.push(`key "${keyId}" in GATEHOUSE_MASTER_KEYS does not open the secrets stored under that id (wrong key?)`);
    }
  }
  return problems;
}

/** A row is replaced only if it still holds the box we read, so a value replaced meanwhile is never undone. */
export async function reencryptSecrets(): Promise<{ reencrypted: number; failed: number; activeKeyId: string }> {
  const keys = getConfig().masterKeys;
  const active = keys[0]!.id;
  let reencrypted = 0;
  let failed = 0;
  const skip = new Set<string>();
  const attempts = new Map<string, number>();
  const perWorkspace = new Map<string, number>();
  for (;;) {
    const batch = await db.secret.findMany({
      where: { keyId: { not: active }, id: { notIn: [...skip] } },
      select: { id: true, workspaceId: true, userId: true, name: true, ciphertext: true },
      orderBy: { id: "asc" },
      take: 100,
    });
    if (batch.length === 0) break;
    for (const row of batch) {
      let plaintext: string;
      try {
        plaintext = open(keys, row, row.ciphertext);
      } catch (err) {
        if (!(err instanceof DecryptError)) throw err;
        failed++;
        skip.add(row.id);
        continue;
      }
      const { box, keyId } = seal(keys, row, plaintext);
      const { count } = await db.secret.updateMany({ where: { id: row.id, ciphertext: { equals: row.ciphertext } }, data: { ciphertext: box, keyId } });
      if (count === 1) {
        reencrypted++;
        perWorkspace.set(row.workspaceId, (perWorkspace.get(row.workspaceId) ?? 0) + 1);
      } else {
        // Replaced meanwhile; if an instance still on the old key wrote it, a later batch retries it.
        const n = (attempts.get(row.id) ?? 0) + 1;
        attempts.set(row.id, n);
        if (n >= 5) {
          failed++;
          skip.add(row.id);
        }
      }
    }
  }
  for (const [workspaceId, count] of perWorkspace) {
    await appendAuditEvent({ workspaceId, actor: { type: "system", id: "cli" }, action: "secret.reencrypted", data: { count, keyId: active } });
  }
  return { reencrypted, failed, activeKeyId: active };
}
