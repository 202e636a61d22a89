// The admin's audit list and count: filters, keyset pages, and one answer (validation_failed) for every bad input.
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { closeLazyClients } from "../lazy";
import { countAuditEvents, listAuditEvents } from "./admin-list";
import { parseAuditQuery } from "./filters";
import { appendAuditEvent } from "./index";

afterAll(closeLazyClients);

/** 2 events of the workspace's creation, then 6 of ours at seq 3..8. */
async function seeded() {
  const { workspaceId } = await makeWorkspace();
  const plan = [
    ["secret.created", "user", "u-1", "user:u-1"],
    ["secret.deleted", "user", "u-1", "user:u-1"],
    ["secretive.thing", "system", "cli", null],
    ["job.created", "service", "t-1", "job:j-1"],
    ["secret_x.created", "admin", "a-1", "user:u-2"],
    ["job.revoked", "user", "u-2", "job:j-1"],
  ] as const;
  for (const [action, type, id, target] of plan) await appendAuditEvent({ workspaceId, actor: { type, id }, action, target });
  return workspaceId;
}

const seqs = (r: { events: { seq: number }[] }) => r.events.map((e) => e.seq);

describe("listAuditEvents", () => {
  it("lists newest first and pages by seq with nextBefore", async () => {
    const workspaceId = await seeded();
    const first = await listAuditEvents({ workspaceId, limit: 3 });
    expect(seqs(first)).toEqual([8, 7, 6]);
    expect(first.nextBefore).toBe(6);
    const second = await listAuditEvents({ workspaceId, limit: 3, beforeSeq: first.nextBefore! });
    expect(seqs(second)).toEqual([5, 4, 3]);
    const last = await listAuditEvents({ workspaceId, limit: 3, beforeSeq: second.nextBefore! });
    expect(seqs(last)).toEqual([2, 1]);
    expect(last.nextBefore).toBeNull();
    expect((await listAuditEvents({ workspaceId })).events[0]).toMatchObject({ seq: 8, action: "job.revoked", actorType: "user", actorId: "u-2", target: "job:j-1", hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("filters by exact action, an action prefix (which is not a LIKE pattern), actor, target and time", async () => {
    const workspaceId = await seeded();
    expect(seqs(await listAuditEvents({ workspaceId, action: "secret.deleted" }))).toEqual([4]);
    // "secret.*" is secret.<anything>: not secretive.thing, not secret_x.created (an _ is not a wildcard).
    expect(seqs(await listAuditEvents({ workspaceId, action: "secret.*" }))).toEqual([4, 3]);
    expect(seqs(await listAuditEvents({ workspaceId, actorType: "user", actorId: "u-1" }))).toEqual([4, 3]);
    expect(seqs(await listAuditEvents({ workspaceId, target: "job:j-1" }))).toEqual([8, 6]);
    expect(seqs(await listAuditEvents({ workspaceId, actorType: "admin" }))).toEqual([7]);
    expect(await listAuditEvents({ workspaceId, from: new Date(Date.now() + 60_000) })).toEqual({ events: [], nextBefore: null });
    expect(seqs(await listAuditEvents({ workspaceId, to: new Date(Date.now() + 60_000), action: "job.*" }))).toEqual([8, 6]);
    expect(await countAuditEvents({ workspaceId })).toBe(8);
    expect(await countAuditEvents({ workspaceId, filters: { action: "job.*" } })).toBe(2);
    // Another workspace's events are never part of it.
    const other = await seeded();
    expect(await countAuditEvents({ workspaceId: other, filters: { actorId: "u-1" } })).toBe(2);
    expect(await countAuditEvents({ workspaceId, filters: { actorId: "u-1" } })).toBe(2);
  });

  it.each([
    [{ action: "secret.%" }, "action"],
    [{ action: "secret.*.x" }, "action"],
    [{ action: "'; DROP TABLE audit_events; --" }, "action"],
    [{ actorType: "root" }, "actorType"],
    [{ actorId: "x".repeat(201) }, "actorId"],
    [{ target: "a\nb" }, "target"],
    [{ from: new Date("nope") }, "from"],
    [{ beforeSeq: 0 }, "beforeSeq"],
    [{ beforeSeq: 2 ** 31 }, "beforeSeq"],
    [{ beforeSeq: 1.5 }, "beforeSeq"],
    [{ limit: 0 }, "limit"],
    [{ limit: 201 }, "limit"],
  ])("refuses %j as validation_failed naming %s", async (bad, field) => {
    const { workspaceId } = await makeWorkspace();
    await expect(listAuditEvents({ workspaceId, ...(bad as object) })).rejects.toMatchObject({ code: "validation_failed", details: { fields: { [field]: expect.any(String) } } });
  });

  it("answers a workspace id that is not a uuid with nothing", async () => {
    expect(await listAuditEvents({ workspaceId: "nope" })).toEqual({ events: [], nextBefore: null });
    expect(await countAuditEvents({ workspaceId: "nope" })).toBe(0);
  });
});

describe("parseAuditQuery", () => {
  it("reads filters and paging from a query string", () => {
    const q = parseAuditQuery(new URLSearchParams("action=secret.*&actorType=user&actorId=u-1&target=user%3Au-1&from=2026-12-01&to=2026-12-02T10:00:00Z&before=40&limit=20"));
    expect(q).toEqual({
      filters: { action: "secret.*", actorType: "user", actorId: "u-1", target: "user:u-1", from: new Date("2026-12-01T00:00:00Z"), to: new Date("2026-12-02T10:00:00Z") },
      beforeSeq: 40,
      afterSeq: undefined,
      limit: 20,
    });
    expect(parseAuditQuery({ action: "", limit: undefined })).toMatchObject({ filters: {}, limit: undefined });
  });

  it.each(["before=-1", "before=1e3", "limit=abc", "from=yesterday", "to=2026-12-02T10:00", "action=a&action=b", "seq=3", "actorType=root", "from=0000-01-01", "to=0001-01-01T00:00:00%2B01:00"])("refuses %s", (query) => {
    expect(() => parseAuditQuery(new URLSearchParams(query))).toThrow(expect.objectContaining({ code: "validation_failed" }));
  });
});
