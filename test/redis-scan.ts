// Every key of the test Redis, on one node or on every master of a Cluster (a SCAN only sees its own node).
import type { Cluster, Redis } from "ioredis";

export async function scanKeys(client: Redis, match = "*"): Promise<string[]> {
  const asCluster = client as unknown as Cluster & { isCluster?: boolean };
  const nodes: Redis[] = asCluster.isCluster ? asCluster.nodes("master") : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
  }
  return keys;
}
