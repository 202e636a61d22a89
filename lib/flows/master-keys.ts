// Everything sealed with the master keys, checked and rotated together: users' secrets, providers' client secrets,
// connections' token sets and MCP client secrets (SPEC §6, §12). The start-up check and `gatehouse keys rotate` both come through here.
import "server-only";
import type { MasterKey } from "../config";
import { getConfig } from "../config";
import { checkConnectionKeys, reencryptConnectionSecrets } from "../connections/connection-keys";
import { checkProviderKeys, reencryptProviderSecrets } from "../connections/provider-keys";
import { checkMasterKeys, reencryptSecrets } from "../secrets/keys";

export async function checkAllMasterKeys(keys: readonly MasterKey[] = getConfig().masterKeys): Promise<string[]> {
  return [...(await checkMasterKeys(keys)), ...(await checkProviderKeys(keys)), ...(await checkConnectionKeys(keys))];
}

export async function reencryptAll(): Promise<{ reencrypted: number; failed: number; activeKeyId: string }> {
  const secrets = await reencryptSecrets();
  const providers = await reencryptProviderSecrets();
  const connections = await reencryptConnectionSecrets();
  return {
    reencrypted: secrets.reencrypted + providers.reencrypted + connections.reencrypted,
    failed: secrets.failed + providers.failed + connections.failed,
    activeKeyId: secrets.activeKeyId,
  };
}
