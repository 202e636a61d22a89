// The per-user cap holds under concurrency: the count and the insert happen under the member's row lock.
import { afterAll, describe, expect, it } from "vitest";
import { makeMember, makeWorkspace } from "@/test/factories";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { MAX_SECRETS_PER_USER, putSecret } from "./store";

afterAll(closeLazyClients);

describe("the per-user secret cap", () => {
  it("lets exactly the remaining slots through when 40 new names race at 195 stored", async () => {
    const { workspaceId } = await makeWorkspace();
    const { userId } = await makeMember(workspaceId);
    const owner = { workspaceId, userId, actor: { type: "user" as const, id: userId } };
    const stored = MAX_SECRETS_PER_USER - 5;
    for (let i = 0; i < stored; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, stored - i) }, (_, k) => putSecret({ ...owner, name: `SEED_${i + k}`, value: "v" })));
    }
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, k) => putSecret({ ...owner, name: `RACE_${k}`, value: "v" })));
    const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason as { code?: string });
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect(refused.map((e) => e.code)).toEqual(Array(35).fill("validation_failed"));
    expect(await db.secret.count({ where: { workspaceId, userId } })).toBe(MAX_SECRETS_PER_USER);
    // Replacing an existing value is no new secret, so it still works at the cap.
    await expect(putSecret({ ...owner, name: "SEED_0", value: "w" })).resolves.toEqual({ created: false });
  });

  it("refuses to keep a secret for someone who is not a member", async () => {
    const { workspaceId } = await makeWorkspace();
    const other = await makeWorkspace();
    await expect(putSecret({ workspaceId, userId: other.ownerUserId, name: "X", value: "v", actor: { type: "system" } })).rejects.toMatchObject({ code: "forbidden" });
    expect(await db.secret.count({ where: { workspaceId, userId: other.ownerUserId } })).toBe(0);
  });
});

describe("'Add' (onlyIfNew)", () => {
  it("creates a name exactly once under 12 concurrent adds; the rest are conflicts and the first value stays", async () => {
    const { workspaceId } = await makeWorkspace();
    const { userId } = await makeMember(workspaceId);
    const owner = { workspaceId, userId, actor: { type: "user" as const, id: userId } };
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, k) => putSecret({ ...owner, name: "SAME", value: `v${k}`, onlyIfNew: true })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((r) => r.status === "rejected").map((r) => ((r as PromiseRejectedResult).reason as { code?: string }).code)).toEqual(Array(11).fill("conflict"));
    expect(await db.secret.count({ where: { workspaceId, userId, name: "SAME" } })).toBe(1);
    expect(await db.auditEvent.count({ where: { workspaceId, action: { in: ["secret.created", "secret.replaced"] } } })).toBe(1);
  });
});
