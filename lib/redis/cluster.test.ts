// The client each topology gets (SPEC §14), and a Cluster that cannot be reached failing fast (503), not hanging.
import { describe, expect, it } from "vitest";
import { isInfrastructureError } from "@/lib/errors";
import { freePort } from "@/test/topology";
import { createRedisClient } from "./client";

describe("createRedisClient", () => {
  it("rejects a Cluster command within about a second when no node answers, as an infrastructure error", async () => {
    const port = await freePort();
    const client = createRedisClient({ kind: "cluster", nodes: [{ host: "127.0.0.1", port }], auth: { tls: false, db: 0 } });
    client.on("error", () => undefined);
    try {
      const started = Date.now();
      const results = await Promise.allSettled([client.get("a"), client.set("b", "1"), client.ping()]);
      const ms = Date.now() - started;
      expect(results.every((r) => r.status === "rejected")).toBe(true);
      for (const r of results) expect(isInfrastructureError((r as PromiseRejectedResult).reason)).toBe(true);
      expect(ms).toBeLessThan(2500);
    } finally {
      client.disconnect();
    }
  });

  it("authenticates to the sentinels, and reaches them over TLS with rediss:", () => {
    const client = createRedisClient({
      kind: "sentinel",
      sentinels: [{ host: "127.0.0.1", port: 1 }],
      name: "gh",
      sentinelPassword: "sentinel-secret",
      auth: { password: "redis-secret", tls: true, db: 3 },
    });
    client.on("error", () => undefined);
    try {
      expect(client.options).toMatchObject({ sentinelPassword: "sentinel-secret", password: "redis-secret", enableTLSForSentinelMode: true, sentinelTLS: {}, tls: {}, db: 3, role: "master" });
    } finally {
      client.disconnect();
    }
  });
});
