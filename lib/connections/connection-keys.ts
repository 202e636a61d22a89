// Connections' token sets and MCP client secrets under the master keys: the start-up check and `gatehouse keys
// rotate` (SPEC §6, §12), like provider-keys.ts. A box is replaced only over exactly the box that was read
// (compare-and-set), so a refresh or reconnect racing the rotation is never overwritten with older tokens.
import "server-only";
import { appendAuditEvent } from "../audit";
import type { MasterKey } from "../config";
import { getConfig } from "../config";
import { DecryptError, open, seal } from "../crypto/secret-box";
import { db } from "../db/client";
import { tokensOwner } from "./store";

/** Problems that must stop the process; one sample per key id and kind of box. */
export async function checkConnectionKeys(keys: readonly MasterKey[] = getConfig().masterKeys): Promise<string[]> {
  const problems: string[] = [];
  const tokenKeys = await db.$queryRaw<{ key_id: string; count: bigint }[]>`
    SELECT tokens_key_id AS key_id, count(*) AS count FROM connections GROUP BY tokens_key_id ORDER BY tokens_key_id`;
  for (const { key_id: keyId, count } of tokenKeys) {
    if (!keys.some((k) => k.id === keyId)) {
      problems.push(`${count} connection token set(s) are encrypted with key "${keyId}", which GATEHOUSE_MASTER_KEYS does not contain`);
      continue;
    }
    const sample = await db.connection.findFirst({
      where: { tokensKeyId: keyId },
      select: { id: true, workspaceId: true, userId: true, tokens: true },
      orderBy: { id: "asc" },
    });
    if (!sample) continue;
    try {
      open(keys, tokensOwner(sample.workspaceId, sample.userId, sample.id), sample.tokens);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      problems.push(`key "${keyId}" in GATEHOUSE_MASTER_KEYS does not open the connection token sets stored under that id (wrong key?)`);
    }
  }
  const clientKeys = await db.$queryRaw<{ key_id: string; count: bigint }[]>`
    SELECT client_secret_key_id AS key_id, count(*) AS count FROM mcp_clients
    WHERE client_secret_key_id IS NOT NULL GROUP BY client_secret_key_id ORDER BY client_secret_key_id`;
  for (const { key_id: keyId, count } of clientKeys) {
    if (!keys.some((k) => k.id === keyId)) {
      problems.push(`${count} MCP client secret(s) are encrypted with key "${keyId}", which GATEHOUSE_MASTER_KEYS does not contain`);
      continue;
    }
    const sample = await db.mcpClient.findFirst({
      where: { clientSecretKeyId: keyId },
      select: { issuer: true, redirectUri: true, clientSecret: true },
      orderBy: [{ issuer: "asc" }, { redirectUri: "asc" }],
    });
    if (!sample?.clientSecret) continue;
    try {
      open(keys, { kind: "mcp-client-secret", issuer: sample.issuer, redirectUri: sample.redirectUri }, sample.clientSecret);
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      problems.push(`key "${keyId}" in GATEHOUSE_MASTER_KEYS does not open the MCP client secrets stored under that id (wrong key?)`);
    }
  }
  return problems;
}

type Counts = { reencrypted: number; failed: number };

/** Every connection's token set to the active key; `version` is left alone (the tokens did not change). */
async function reencryptConnectionTokens(keys: readonly MasterKey[], active: string): Promise<Counts & { perWorkspace: Map<string, number> }> {
  let reencrypted = 0;
  let failed = 0;
  const perWorkspace = new Map<string, number>();
  let after: string | null = null;
  for (;;) {
    const cursor: string | null = after;
    const batch: { id: string }[] = await db.connection.findMany({
      where: { tokensKeyId: { not: active }, ...(cursor ? { id: { gt: cursor } } : {}) },
      select: { id: true },
      orderBy: { id: "asc" },
      take: 100,
    });
    if (batch.length === 0) break;
    after = batch.at(-1)!.id;
    for (const { id } of batch) {
      for (let attempt = 1; ; attempt++) {
        const row = await db.connection.findUnique({ where: { id }, select: { workspaceId: true, userId: true, tokens: true, tokensKeyId: true } });
        if (!row || row.tokensKeyId === active) break;
        const owner = tokensOwner(row.workspaceId, row.userId, id);
        let plaintext: string;
        try {
          plaintext = open(keys, owner, row.tokens);
        } catch (err) {
          if (!(err instanceof DecryptError)) throw err;
          failed++;
          break;
        }
        const { box, keyId } = seal(keys, owner, plaintext);
        const { count } = await db.connection.updateMany({ where: { id, tokens: { equals: row.tokens } }, data: { tokens: box, tokensKeyId: keyId } });
        if (count === 1) {
          reencrypted++;
          perWorkspace.set(row.workspaceId, (perWorkspace.get(row.workspaceId) ?? 0) + 1);
          break;
        }
        // Refreshed or reconnected meanwhile (that wrote the active key already, or we read again).
        if (attempt >= 5) {
          failed++;
          break;
        }
      }
    }
  }
  return { reencrypted, failed, perWorkspace };
}

async function reencryptMcpClientSecrets(keys: readonly MasterKey[], active: string): Promise<Counts> {
  let reencrypted = 0;
  let failed = 0;
  const rows = await db.mcpClient.findMany({
    where: { clientSecret: { not: null }, clientSecretKeyId: { not: active } },
    select: { issuer: true, redirectUri: true },
    orderBy: [{ issuer: "asc" }, { redirectUri: "asc" }],
  });
  for (const { issuer, redirectUri } of rows) {
    const owner = { kind: "mcp-client-secret" as const, issuer, redirectUri };
    for (let attempt = 1; ; attempt++) {
      const row = await db.mcpClient.findUnique({ where: { issuer_redirectUri: { issuer, redirectUri } }, select: { clientSecret: true, clientSecretKeyId: true } });
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
      const { count } = await db.mcpClient.updateMany({
        where: { issuer, redirectUri, clientSecret: { equals: row.clientSecret } },
        data: { clientSecret: box, clientSecretKeyId: keyId },
      });
      if (count === 1) {
        reencrypted++;
        break;
      }
      if (attempt >= 5) {
        failed++;
        break;
      }
    }
  }
  return { reencrypted, failed };
}

export async function reencryptConnectionSecrets(): Promise<{ reencrypted: number; failed: number; activeKeyId: string }> {
  const keys = getConfig().masterKeys;
  const active = keys[0]!.id;
  const tokens = await reencryptConnectionTokens(keys, active);
  const clients = await reencryptMcpClientSecrets(keys, active);
  for (const [workspaceId, count] of tokens.perWorkspace) {
    await appendAuditEvent({ workspaceId, actor: { type: "system", id: "cli" }, action: "connection.reencrypted", data: { count, keyId: active } });
  }
  return { reencrypted: tokens.reencrypted + clients.reencrypted, failed: tokens.failed + clients.failed, activeKeyId: active };
}
