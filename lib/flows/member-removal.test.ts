import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace, randomTelegramId } from "@/test/factories";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { addMember } from "../members/membership";
import { removeMember } from "./member-removal";

afterAll(closeLazyClients);
const actor = { type: "system", id: "test" } as const;

describe("members", () => {
  it("adds the same new identity exactly once under 20 concurrent requests", async () => {
    const { workspaceId } = await makeWorkspace();
    const externalId = randomTelegramId();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => addMember({ workspaceId, identity: { platform: "telegram", externalId }, actor })),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("already_member");
    expect(await db.platformIdentity.count({ where: { platform: "telegram", externalId } })).toBe(1);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "member.added" } })).toBe(2);
  });

  it("keeps one owner when two owners are removed concurrently", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const second = await addMember({ workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, role: "owner", actor });
    const results = await Promise.allSettled([
      removeMember({ workspaceId, userId: ownerUserId, acting: "operator", actor }),
      removeMember({ workspaceId, userId: second.userId, acting: "operator", actor }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.membership.count({ where: { workspaceId, role: "owner" } })).toBe(1);
  });
});

describe("membership changes alongside other audited writes", () => {
  it("never deadlock with audit-only writers on the same workspace", async () => {
    const { appendAuditEvent } = await import("@/lib/audit");
    const { workspaceId } = await makeWorkspace();
    const results = await Promise.allSettled([
      ...Array.from({ length: 15 }, () =>
        addMember({ workspaceId, identity: { platform: "telegram", externalId: randomTelegramId() }, role: "member", actor: { type: "system" } }),
      ),
      ...Array.from({ length: 15 }, () => appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "test.appended" })),
    ]);
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  });
});
