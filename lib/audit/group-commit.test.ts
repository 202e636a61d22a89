// The audit group commit against real Postgres: batches keep the chain exact under concurrency (also mixed with
// single appends from this and other processes), a failing batch rejects every caller in it and records none
// of them, and an event bound to a token is recorded only while that token is live.
import { afterAll, describe, expect, it } from "vitest";
import type { ActorType } from "@/generated/prisma/client";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { runScript } from "@/test/run-script";
import { db, onDbQuery } from "../db/client";
import { AppError } from "../errors";
import { closeLazyClients } from "../lazy";
import { isInfrastructureError } from "../errors";
import { sqlTransaction } from "../db/sql";
import { appendAuditEventGrouped } from "@/test/audit-grouped";
import { createGroupCommit } from "./group-commit";
import { appendAuditEvent, verifyAuditChain } from "./index";

afterAll(closeLazyClients);

async function seqs(workspaceId: string) {
  const rows = await db.auditEvent.findMany({ where: { workspaceId }, orderBy: { seq: "asc" }, select: { seq: true } });
  return rows.map((r) => r.seq);
}

const system = { type: "system" as const, id: "test" };

/** A queue whose first batch is held until release(); every batch's items are recorded, each answered with itself. */
function heldQueue(opts?: { deadlineMs?: number; maxWaiting?: number }) {
  let release: () => void = () => {};
  const stuck = new Promise<void>((r) => (release = r));
  const batches: string[][] = [];
  let first = true;
  const submit = createGroupCommit<string, string>(async (conn, items) => {
    await conn.script("SELECT 1");
    if (first) {
      first = false;
      await stuck;
    }
    batches.push(items);
    return items.map((i) => ({ ok: true as const, value: i }));
  }, opts);
  return { submit, batches, release: () => release() };
}

describe("audit group commit", () => {
  it("gives 200 concurrent appends seq 1..N in far fewer transactions, and the chain verifies", async () => {
    const { workspaceId } = await makeWorkspace();
    const before = (await seqs(workspaceId)).length;
    const inserts: string[] = [];
    const stop = onDbQuery((sql) => {
      if (/INSERT INTO audit_events/.test(sql)) inserts.push(sql);
    });
    let results;
    try {
      results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })),
      );
    } finally {
      stop();
    }
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => before + i + 1));
    expect(await seqs(workspaceId)).toEqual(Array.from({ length: before + 200 }, (_, i) => i + 1));
    expect(inserts.length).toBeGreaterThan(0);
    expect(inserts.length).toBeLessThan(20);
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: true, events: before + 200, checkpoints: 0, workspaceId });
    // Callers learn the row they got: seq and hash as stored.
    const stored = await db.auditEvent.findMany({ where: { workspaceId, seq: { in: results.map((r) => r.seq) } }, select: { seq: true, hash: true } });
    expect(new Map(stored.map((r) => [r.seq, r.hash]))).toEqual(new Map(results.map((r) => [r.seq, r.hash])));
  });

  it("stays exact when batches race single appends of this process and of other processes", async () => {
    const { workspaceId } = await makeWorkspace();
    const others = Promise.all([1, 2].map(() => runScript("test/fixtures/append-audit.ts", [workspaceId, "40"])));
    await Promise.all([
      ...Array.from({ length: 120 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })),
      ...Array.from({ length: 30 }, (_, i) => appendAuditEvent({ workspaceId, actor: system, action: "test.single", data: { i } })),
    ]);
    for (const r of await others) expect(r.code, r.stderr).toBe(0);
    expect(await seqs(workspaceId)).toEqual(Array.from({ length: 2 + 120 + 30 + 80 }, (_, i) => i + 1));
    expect((await verifyAuditChain({ workspaceId })).ok).toBe(true);
  });

  it("rejects every caller of a failing batch and records none of them", async () => {
    const { workspaceId } = await makeWorkspace();
    const before = (await seqs(workspaceId)).length;
    // The first append starts a batch of its own; the next ones queue behind it and form the second batch.
    const first = [appendAuditEventGrouped({ workspaceId, actor: system, action: "test.first" })];
    const second = [
      appendAuditEventGrouped({ workspaceId, actor: system, action: "test.second", data: { i: 0 } }),
      appendAuditEventGrouped({ workspaceId, actor: { type: "not-an-actor" as ActorType }, action: "test.second", data: { i: 1 } }),
      appendAuditEventGrouped({ workspaceId, actor: system, action: "test.second", data: { i: 2 } }),
    ];
    const outcomes = await Promise.allSettled([...first, ...second]);
    expect(outcomes.slice(0, first.length).map((o) => o.status)).toEqual(first.map(() => "fulfilled"));
    expect(outcomes.slice(first.length).map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "test.second" } })).toBe(0);
    // The chain goes on from where the failed batch found it.
    expect(await appendAuditEventGrouped({ workspaceId, actor: system, action: "test.after" })).toMatchObject({ seq: before + first.length + 1 });
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, events: before + first.length + 1 });
  });

  it("records an event bound to a token only while the token is live; the rest of its batch is recorded", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const live = await makeJob(workspaceId, m.telegramId);
    const revoked = await makeJob(workspaceId, m.telegramId);
    const tokenOf = async (jobId: string) => (await db.token.findFirstOrThrow({ where: { jobId }, select: { id: true } })).id;
    const [liveId, revokedId] = [await tokenOf(live.jobId), await tokenOf(revoked.jobId)];
    await db.token.update({ where: { id: revokedId }, data: { revokedAt: new Date() } });
    const event = (action: string) => ({ workspaceId, actor: system, action });
    const outcomes = await Promise.allSettled([
      appendAuditEventGrouped(event("test.unbound")),
      appendAuditEventGrouped(event("test.live"), { liveTokenId: liveId }),
      appendAuditEventGrouped(event("test.revoked"), { liveTokenId: revokedId }),
      appendAuditEventGrouped(event("test.live"), { liveTokenId: liveId }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    const reason = (outcomes[2] as PromiseRejectedResult).reason as unknown;
    expect(reason).toBeInstanceOf(AppError);
    expect(reason).toMatchObject({ code: "invalid_token" });
    expect(await db.auditEvent.count({ where: { workspaceId, action: "test.revoked" } })).toBe(0);
    expect(await db.auditEvent.count({ where: { workspaceId, action: "test.live" } })).toBe(2);
    expect((await verifyAuditChain({ workspaceId })).ok).toBe(true);
  });

  it("stores exactly what it hashed, whatever the strings hold (quotes, backslashes, SQL, ill-formed text)", async () => {
    const { workspaceId } = await makeWorkspace();
    const nasty = ["it's", "back\\slash\\'", "'); DELETE FROM audit_events; --", "$$ $1 $tag$", "a\udc00b", "x\u0000y", "é ✓ 𝄞", "E'\\x00'"];
    await Promise.all(
      nasty.map((v, i) =>
        appendAuditEventGrouped({ workspaceId, actor: { type: "user", id: v }, action: `test.${v}`, target: v, ip: v, data: { v, [v]: [v, i, null, true], n: 1.5e300 } }),
      ),
    );
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, events: 2 + nasty.length });
    const stored = await db.auditEvent.findMany({ where: { workspaceId, action: { startsWith: "test." } }, select: { actorId: true, target: true, data: true } });
    expect(stored).toHaveLength(nasty.length);
    const clean = (v: string) => v.toWellFormed().replace(/\u0000/g, "");
    expect(stored.map((r) => r.target).sort()).toEqual(nasty.map(clean).sort());
    for (const r of stored) expect((r.data as { v: string }).v).toBe(r.target);
  });

  it("refuses ids that are not uuids before any SQL is written", async () => {
    await expect(appendAuditEventGrouped({ workspaceId: "x'; DROP TABLE tokens; --", actor: system, action: "test.bad" })).rejects.toThrow(/uuid/);
    const { workspaceId } = await makeWorkspace();
    await expect(appendAuditEventGrouped({ workspaceId, actor: system, action: "test.bad" }, { liveTokenId: "') OR true --" })).rejects.toThrow(/uuid/);
  });

  it("answers 503 at its deadline and when the queue is full, instead of waiting behind a stuck batch", async () => {
    let release: () => void = () => {};
    const stuck = new Promise<void>((r) => (release = r));
    const submit = createGroupCommit<number, number>(
      async (conn, items) => {
        await conn.script("SELECT 1");
        await stuck;
        return items.map((i) => ({ ok: true as const, value: i }));
      },
      { deadlineMs: 300, maxWaiting: 3 },
    );
    const first = submit("k", 1); // in flight, stuck
    await new Promise((r) => setTimeout(r, 50));
    const queued = [submit("k", 2), submit("k", 3), submit("k", 4)];
    await expect(submit("k", 5)).rejects.toMatchObject({ code: "unavailable" }); // queue full
    for (const p of [first, ...queued]) await expect(p).rejects.toMatchObject({ code: "unavailable" }); // deadline
    release();
    await new Promise((r) => setTimeout(r, 100));
    expect(await submit("k", 6)).toBe(6);
  });

  it("gives every lane its share: a full lane refuses only its own callers, and a flooded lane never crowds out another", async () => {
    const { submit, batches, release } = heldQueue({ deadlineMs: 10_000, maxWaiting: 300 });
    const blocker = submit("k", "blocker", "flood"); // in flight until released: everything below queues
    await new Promise((r) => setTimeout(r, 50));
    const flood = Array.from({ length: 350 }, (_, i) => submit("k", `flood-${i}`, "flood").then(() => "ok", (e: AppError) => e.code));
    const other = Array.from({ length: 30 }, (_, i) => submit("k", `other-${i}`, "w-other"));
    const third = Array.from({ length: 5 }, (_, i) => submit("k", `third-${i}`, "w-third"));
    release();
    const floodOutcomes = await Promise.all(flood);
    expect(floodOutcomes.filter((o) => o === "unavailable")).toHaveLength(50); // 300 wait, the rest of the flood is refused
    expect(await Promise.all(other)).toEqual(other.map((_, i) => `other-${i}`)); // none refused although the flood filled its lane
    expect(await Promise.all(third)).toHaveLength(5);
    await blocker;
    // The first batch after the blocker already holds every waiter of the small lanes; the flood's share is the rest.
    const next = batches[1]!;
    expect(next).toHaveLength(100);
    expect(next.filter((i) => i.startsWith("other-"))).toHaveLength(30);
    expect(next.filter((i) => i.startsWith("third-"))).toHaveLength(5);
    expect(next.filter((i) => i.startsWith("flood-"))).toHaveLength(65);
  });

  it("round-robins busy lanes: with three full lanes each gets a third of every batch", async () => {
    const { submit, batches, release } = heldQueue();
    const blocker = submit("k", "blocker", "a");
    await new Promise((r) => setTimeout(r, 50));
    const all = ["a", "b", "c"].flatMap((lane) => Array.from({ length: 200 }, (_, i) => submit("k", `${lane}-${i}`, lane)));
    release();
    await Promise.all([blocker, ...all]);
    for (const batch of batches.slice(1, 6)) {
      const counts = ["a", "b", "c"].map((lane) => batch.filter((i) => i.startsWith(`${lane}-`)).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(batches.slice(1).flat()).toHaveLength(600);
  });

  it("turns a backend killed between two scripts into an infrastructure error, not a crash", async () => {
    const err = await sqlTransaction(async (conn) => {
      const [[row]] = (await conn.script("SELECT pg_backend_pid() AS pid")) as [[{ pid: number }]];
      await db.$executeRawUnsafe(`SELECT pg_terminate_backend(${Number(row.pid)})`);
      await new Promise((r) => setTimeout(r, 200));
      await conn.script("SELECT 1");
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(isInfrastructureError(err)).toBe(true);
    // The pool dropped the dead connection: the next transaction works.
    expect(await sqlTransaction(async (conn) => (await conn.script("SELECT 1 AS one"))[0])).toEqual([{ one: 1 }]);
  });
});
