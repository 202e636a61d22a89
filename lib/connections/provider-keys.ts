// Provider client secrets under the master keys: the start-up check and `gatehouse keys rotate` (SPEC §6, §12).
import "server-only";
import { appendAuditEvent } from "../audit";
import type { MasterKey } from "../config";
import { getConfig } from "../config";
import { DecryptError, open, seal } from "../crypto/secret-box";
import { db } from "../db/client";
import { providerSecretOwner } from "./providers";

/** Problems that must stop the process; one sample per key id. */
export async function checkProviderKeys(keys: readonly MasterKey[] = getConfig().masterKeys): Promise<string[]> {
  const inUse = await db.$queryRaw<{ key_id: string; count: bigint }[]>`
    SELECT client_secret_key_id AS key_id, count(*) AS count FROM providers
    WHERE client_secret_key_id IS NOT NULL GROUP BY client_secret_key_id ORDER BY client_secret_key_id`;
  const problems: string[] = [];
  for (const { key_id: keyId, count } of inUse) {
    if (!keys.some((k) => k.id === keyId)) {
      problems.push(`${count} provider client secret(s) are encrypted with key "${keyId}", which GATEHOUSE_MASTER_KEYS does not contain`);
      continue;
    }
    const sample = await db.provider.findFirst({
      where: { clientSecretKeyId: keyId },
      select: { workspaceId: true, id: true, clientSecret: true },
      orderBy: [{ workspaceId: "asc" }, { id: "asc" }],
    });
    if (!sample?.clientSecret) continue;
    try {
      open(keys, providerSecretOwner(sample.workspaceId, sample.id), sample.clientSecret);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      problems.push(`key "${keyId}" in GATEHOUSE_MASTER_KEYS does not open the provider client secrets stored under that id (wrong key?)`);
    }
  }
  return problems;
}

/** Like reencryptSecrets: a row is replaced only if it still holds the box we read. */
export async function reencryptProviderSecrets(): Promise<{ reencrypted: number; failed: number; activeKeyId: string }> {
  const keys = getConfig().masterKeys;
  const active = keys[0]!.id;
  let reencrypted = 0;
  let failed = 0;
  const perWorkspace = new Map<string, number>();
  let after: { workspaceId: string; id: string } | null = null;
  for (;;) {
    const cursor: { workspaceId: string; id: string } | null = after;
    const batch: { workspaceId: string; id: string }[] = await db.provider.findMany({
      where: {
        clientSecretKeyId: { not: active },
        clientSecret: { not: null },
        ...(cursor ? { OR: [{ workspaceId: { gt: cursor.workspaceId } }, { workspaceId: cursor.workspaceId, id: { gt: cursor.id } }] } : {}),
      },
      select: { workspaceId: true, id: true },
      orderBy: [{ workspaceId: "asc" }, { id: "asc" }],
      take: 100,
    });
    if (batch.length === 0) break;
    after = batch.at(-1)!;
    for (const { workspaceId, id } of batch) {
      const owner = providerSecretOwner(workspaceId, id);
      // Re-read on a lost race: another instance (maybe still on the old key) replaced it meanwhile.
      for (let attempt = 1; ; attempt++) {
        const row = await db.provider.findUnique({ where: { workspaceId_id: { workspaceId, id } }, select: { clientSecret: true, clientSecretKeyId: true } });
        if (!row?.clientSecret || row.clientSecretKeyId === active) break;
        let plaintext: string;
        try {
          plaintext = open(keys, owner, row.clientSecret);
        } catch (err) {
          if (!(err instanceof DecryptError)) throw err;
          failed++;
          break;
        }
        const { box, keyId } = seal(keys, owner, plaintext);
        const { count } = await db.provider.updateMany({
          where: { workspaceId, id, clientSecret: { equals: row.clientSecret } },
          data: { clientSecret: box, clientSecretKeyId: keyId, updatedAt: new Date() },
        });
        if (count === 1) {
          reencrypted++;
          perWorkspace.set(workspaceId, (perWorkspace.get(workspaceId) ?? 0) + 1);
          break;
        }
        if (attempt >= 5) {
          failed++;
          break;
        }
      }
    }
  }
  for (const [workspaceId, count] of perWorkspace) {
    await appendAuditEvent({ workspaceId, actor: { type: "system", id: "cli" }, action: "provider.reencrypted", data: { count, keyId: active } });
  }
  return { reencrypted, failed, activeKeyId: active };
}
