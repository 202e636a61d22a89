// Signed checkpoints against real Postgres: exactly one per multiple of AUDIT_CHECKPOINT_EVERY on both append
// paths and across processes, the hourly sweep, and a consistent rewrite of history caught by the first checkpoint.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { appendAuditEventGrouped } from "@/test/audit-grouped";
import { runScript } from "@/test/run-script";
import { getConfig } from "../config";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { log } from "../log";
import { hashEvent } from "./canonical";
import { ChainCheck } from "./chain-check";
import { signingIdentity } from "./checkpoint";
import { checkpointHead, runCheckpointSweep } from "./checkpoint-sweep";
import { appendAuditEvent, verifyAuditChain } from "./index";
import { verifyClaim } from "./signing";
import { auditStatus } from "./status";

const EVERY = 10;
vi.stubEnv("AUDIT_CHECKPOINT_EVERY", String(EVERY));

beforeAll(() => {
  expect(getConfig().audit.checkpointEvery).toBe(EVERY);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await closeLazyClients();
});

const system = { type: "system" as const, id: "test" };
const HOUR = 3600_000;

async function checkpoints(workspaceId: string) {
  return db.auditCheckpoint.findMany({ where: { workspaceId }, orderBy: { seq: "asc" } });
}

/** Every checkpoint names the event at its seq with that event's hash, signed by the configured key. */
async function expectCheckpointsHold(workspaceId: string) {
  const signer = signingIdentity()!;
  const rows = await checkpoints(workspaceId);
  const events = new Map((await db.auditEvent.findMany({ where: { workspaceId }, select: { seq: true, hash: true } })).map((e) => [e.seq, e.hash]));
  for (const cp of rows) {
    expect(cp.hash, `checkpoint ${cp.seq}`).toBe(events.get(cp.seq));
    expect(cp.keyId).toBe(signer.keyId);
    expect(verifyClaim(signer.key, { workspaceId, seq: cp.seq, hash: cp.hash }, cp.signature), `signature of ${cp.seq}`).toBe(true);
  }
  return rows;
}

async function head(workspaceId: string) {
  return (await db.auditEvent.findFirstOrThrow({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true } })).seq;
}

const multiplesUpTo = (n: number) => Array.from({ length: Math.floor(n / EVERY) }, (_, i) => (i + 1) * EVERY);

/** As a superuser would: past the append-only triggers, in one transaction. */
async function asSuperuser(fn: (client: pg.Client) => Promise<void>) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await fn(client);
    await client.query("COMMIT");
  } finally {
    await client.end();
  }
}

describe("audit checkpoints", () => {
  it("signs exactly the events at each multiple, whichever path appends and however many processes race", async () => {
    const { workspaceId } = await makeWorkspace();
    const others = Promise.all([1, 2].map(() => runScript("test/fixtures/append-audit.ts", [workspaceId, "20"])));
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })),
      ...Array.from({ length: 20 }, (_, i) => appendAuditEvent({ workspaceId, actor: system, action: "test.single", data: { i } })),
    ]);
    for (const r of await others) expect(r.code, r.stderr).toBe(0);
    const last = await head(workspaceId);
    expect(last).toBe(2 + 60 + 20 + 40);
    const rows = await expectCheckpointsHold(workspaceId);
    expect(rows.map((r) => r.seq)).toEqual(multiplesUpTo(last));
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: true, events: last, checkpoints: rows.length, workspaceId });
  }, 90_000);

  it("signs in the group commit's own script when a batch crosses multiples", async () => {
    const { workspaceId } = await makeWorkspace();
    await Promise.all(Array.from({ length: 30 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })));
    expect((await expectCheckpointsHold(workspaceId)).map((r) => r.seq)).toEqual([10, 20, 30]);
  });

  it("signs nothing without a signing key, and never falls back to a built-in one", async () => {
    const { workspaceId } = await makeWorkspace();
    const r = await runScript("test/fixtures/append-audit.ts", [workspaceId, "12"], { GATEHOUSE_AUDIT_SIGNING_KEY: "" });
    expect(r.code, r.stderr).toBe(0);
    expect(await checkpoints(workspaceId)).toEqual([]);
    expect(await auditStatus({ workspaceId })).toMatchObject({ events: 14, chain: { ok: true, checkedFrom: 1 }, lastCheckpoint: null, checkpointsValid: true, uncheckpointed: 14 });
  }, 90_000);

  it("sweeps: signs the head once its first unsigned event is an hour old, once, and leaves fresh or signed chains alone", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 3; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended" });
    const mine = (r: Awaited<ReturnType<typeof runCheckpointSweep>>) => r.checkpointed.filter((c) => c.workspaceId === workspaceId);
    expect(mine(await runCheckpointSweep({ now: new Date() }))).toEqual([]);
    const later = new Date(Date.now() + HOUR + 1000);
    expect(mine(await runCheckpointSweep({ now: later }))).toEqual([{ workspaceId, seq: 5 }]);
    expect(mine(await runCheckpointSweep({ now: later }))).toEqual([]);
    await appendAuditEvent({ workspaceId, actor: system, action: "test.appended" });
    // The new event is fresh: its hour has not passed, whatever the age of the last checkpoint.
    expect(mine(await runCheckpointSweep({ now: new Date(Date.now() + 60_000) }))).toEqual([]);
    expect(mine(await runCheckpointSweep({ now: new Date(Date.now() + 2 * HOUR) }))).toEqual([{ workspaceId, seq: 6 }]);
    expect((await expectCheckpointsHold(workspaceId)).map((c) => c.seq)).toEqual([5, 6]);
    expect(await auditStatus({ workspaceId })).toMatchObject({ events: 6, lastCheckpoint: { seq: 6 }, checkpointsValid: true, uncheckpointed: 0, signing: "configured" });
  });

  it("never signs a hash that is not the event's at that seq while sweeps race appends, and sweeps of several instances agree", async () => {
    const { workspaceId } = await makeWorkspace();
    let appending = true;
    const appends = (async () => {
      await Promise.all(
        Array.from({ length: 5 }, async (_, lane) => {
          for (let i = 0; i < 30; i++) {
            if (i % 2) await appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { lane, i } });
            else await appendAuditEvent({ workspaceId, actor: system, action: "test.single", data: { lane, i } });
          }
        }),
      );
      appending = false;
    })();
    const signed: number[] = [];
    const sweeper = async () => {
      while (appending) {
        const r = await checkpointHead(workspaceId);
        if (r.signed) signed.push(r.seq);
      }
    };
    await Promise.all([appends, sweeper(), sweeper(), sweeper()]);
    expect(signed.length).toBeGreaterThan(0);
    const rows = await expectCheckpointsHold(workspaceId);
    expect(new Set(signed).size).toBe(signed.length);
    expect(rows.map((r) => r.seq)).toEqual(expect.arrayContaining([...signed, ...multiplesUpTo(await head(workspaceId))]));
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, checkpoints: rows.length });
  });

  it("catches a rewrite that re-chains every later row consistently at the first checkpoint after it", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 25; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, checkpoints: 2 });

    // Seq 13 says something else, and every hash from there on is recomputed: the chain alone holds together.
    const rows = await db.auditEvent.findMany({ where: { workspaceId }, orderBy: { seq: "asc" } });
    await asSuperuser(async (client) => {
      let prev = rows[11]!.hash;
      for (const row of rows.slice(12)) {
        const data = row.seq === 13 ? { i: 999 } : row.data;
        const hash = hashEvent(prev, { ...row, data });
        await client.query("UPDATE audit_events SET data = $1, prev_hash = $2, hash = $3 WHERE workspace_id = $4 AND seq = $5", [JSON.stringify(data), prev, hash, workspaceId, row.seq]);
        prev = hash;
      }
    });
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: false, events: 27, checkpoints: 2, brokenAt: 20, reason: "checkpoint_hash_mismatch", workspaceId });
    expect(await auditStatus({ workspaceId })).toMatchObject({
      events: 27,
      chain: { ok: true },
      lastCheckpoint: { seq: 20 },
      checkpointsValid: false,
      checkpointProblem: { seq: 20, reason: "checkpoint_hash_mismatch" },
      uncheckpointed: 7,
    });

    // Rewriting the checkpoint's hash too needs a signature only the key can make.
    const original = rows.find((r) => r.seq === 20)!;
    const rechained = await db.auditEvent.findFirstOrThrow({ where: { workspaceId, seq: 20 } });
    await asSuperuser(async (client) => {
      await client.query("UPDATE audit_checkpoints SET hash = $1 WHERE workspace_id = $2 AND seq = 20", [rechained.hash, workspaceId]);
    });
    expect(original.hash).not.toBe(rechained.hash);
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: false, brokenAt: 20, reason: "checkpoint_bad_signature" });
  });

  describe("before signing, the rows since the last checkpoint are re-hashed", () => {
    /** Seq 13's data changed in place, as someone with write access to the table would, hashes untouched. */
    async function editSeq13(workspaceId: string) {
      await asSuperuser(async (client) => {
        await client.query(`UPDATE audit_events SET data = '{"i": 999}' WHERE workspace_id = $1 AND seq = 13`, [workspaceId]);
      });
    }
    async function seededTo15() {
      const { workspaceId } = await makeWorkspace();
      for (let i = 0; i < 13; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
      expect((await checkpoints(workspaceId)).map((c) => c.seq)).toEqual([10]);
      return workspaceId;
    }
    /** This workspace's refusals only: the sweep visits every workspace in the test database. */
    function refusals(workspaceId: string) {
      const spy = vi.spyOn(log, "error");
      return {
        calls: () =>
          spy.mock.calls.filter(([fields, msg]) => typeof msg === "string" && msg.startsWith("audit checkpoint not signed") && (fields as { workspaceId?: string }).workspaceId === workspaceId),
        restore: () => spy.mockRestore(),
      };
    }

    it("single appends: the event at the multiple commits, its checkpoint is refused and logged with no data", async () => {
      const workspaceId = await seededTo15();
      await editSeq13(workspaceId);
      const errors = refusals(workspaceId);
      try {
        for (let i = 0; i < 10; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
        expect(await head(workspaceId)).toBe(25);
        expect((await checkpoints(workspaceId)).map((c) => c.seq)).toEqual([10]);
        expect(errors.calls()).toEqual([[{ workspaceId, seq: 20, reason: "chain_broken", brokenAt: 13 }, expect.any(String)]]);
      } finally {
        errors.restore();
      }
      expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: false, brokenAt: 13, reason: "chain_broken" });
    });

    it("group commit: every caller of the batch gets its event, only the checkpoint is skipped", async () => {
      const workspaceId = await seededTo15();
      await editSeq13(workspaceId);
      const errors = refusals(workspaceId);
      try {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })));
        expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
        expect((await checkpoints(workspaceId)).map((c) => c.seq)).toEqual([10]);
        expect(errors.calls().map(([fields]) => fields)).toEqual([{ workspaceId, seq: 20, reason: "chain_broken", brokenAt: 13 }]);
      } finally {
        errors.restore();
      }
    });

    it("group commit: an error while checking (not only a refusal) leaves the batch to commit", async () => {
      const workspaceId = await seededTo15();
      const errors = refusals(workspaceId);
      const boom = vi.spyOn(ChainCheck.prototype, "addEvent").mockImplementation(() => {
        throw new Error("boom");
      });
      try {
        await Promise.all(Array.from({ length: 10 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })));
        expect(errors.calls().map(([fields]) => (fields as { seq: number }).seq)).toEqual([20]);
      } finally {
        boom.mockRestore();
        errors.restore();
      }
      expect(await head(workspaceId)).toBe(25);
      expect((await checkpoints(workspaceId)).map((c) => c.seq)).toEqual([10]);
      expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, events: 25, checkpoints: 1 });
    });

    it("a history re-chained from before the last checkpoint to the head: the next checkpoint is refused, never signed over it", async () => {
      const workspaceId = await seededTo15();
      const rows = await db.auditEvent.findMany({ where: { workspaceId }, orderBy: { seq: "asc" } });
      // Seq 7 rewritten and every later hash recomputed: the rows agree with each other, not with checkpoint 10.
      await asSuperuser(async (client) => {
        let prev = rows[5]!.hash;
        for (const row of rows.slice(6)) {
          const data = row.seq === 7 ? { i: 999 } : row.data;
          const hash = hashEvent(prev, { ...row, data });
          await client.query("UPDATE audit_events SET data = $1, prev_hash = $2, hash = $3 WHERE workspace_id = $4 AND seq = $5", [JSON.stringify(data), prev, hash, workspaceId, row.seq]);
          prev = hash;
        }
      });
      const errors = refusals(workspaceId);
      try {
        for (let i = 0; i < 5; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
        await Promise.all(Array.from({ length: 5 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { i } })));
        expect(await checkpointHead(workspaceId)).toEqual({ signed: false, reason: "refused" });
        const later = new Date(Date.now() + 2 * HOUR);
        const swept = await runCheckpointSweep({ now: later });
        expect(swept.refused).toContain(workspaceId);
        expect(swept.checkpointed.filter((c) => c.workspaceId === workspaceId)).toEqual([]);
        expect(errors.calls().map(([fields]) => fields)).toEqual([
          { workspaceId, seq: 20, reason: "checkpoint_hash_mismatch", brokenAt: 10 },
          { workspaceId, seq: 25, reason: "checkpoint_hash_mismatch", brokenAt: 10 },
          { workspaceId, seq: 25, reason: "checkpoint_hash_mismatch", brokenAt: 10 },
        ]);
      } finally {
        errors.restore();
      }
      expect((await checkpoints(workspaceId)).map((c) => c.seq)).toEqual([10]);
      expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: false, brokenAt: 10, reason: "checkpoint_hash_mismatch" });
    });

    it("the sweep and the CLI's checkpoint re-hash from seq 1 when there is no checkpoint yet", async () => {
      const { workspaceId } = await makeWorkspace();
      for (let i = 0; i < 3; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
      await asSuperuser(async (client) => {
        await client.query(`UPDATE audit_events SET action = 'test.changed' WHERE workspace_id = $1 AND seq = 2`, [workspaceId]);
      });
      const errors = refusals(workspaceId);
      try {
        expect(await checkpointHead(workspaceId)).toEqual({ signed: false, reason: "refused" });
        expect(errors.calls().map(([fields]) => fields)).toEqual([{ workspaceId, seq: 5, reason: "chain_broken", brokenAt: 2 }]);
      } finally {
        errors.restore();
      }
      expect(await checkpoints(workspaceId)).toEqual([]);
    });
  });

  it("status: the cheap check covers the tail after the last valid checkpoint; the full one re-hashes every row", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 13; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended", data: { i } });
    expect(await auditStatus({ workspaceId })).toMatchObject({ events: 15, chain: { ok: true, checkedFrom: 11, full: false }, lastCheckpoint: { seq: 10 }, checkpointsValid: true, uncheckpointed: 5 });
    // Seq 3 edited without re-hashing: the stored hashes (and so the checkpoint at 10) still agree.
    await asSuperuser(async (client) => {
      await client.query(`UPDATE audit_events SET data = '{"i": 999}' WHERE workspace_id = $1 AND seq = 3`, [workspaceId]);
    });
    expect(await auditStatus({ workspaceId })).toMatchObject({ chain: { ok: true, checkedFrom: 11, full: false }, checkpointsValid: true });
    expect(await auditStatus({ workspaceId, full: true })).toMatchObject({ chain: { ok: false, brokenAt: 3, checkedFrom: 1, full: true } });
    // An edit in the tail is caught by the cheap check too.
    await asSuperuser(async (client) => {
      await client.query(`UPDATE audit_events SET action = 'test.changed' WHERE workspace_id = $1 AND seq = 12`, [workspaceId]);
    });
    expect(await auditStatus({ workspaceId })).toMatchObject({ chain: { ok: false, brokenAt: 12, checkedFrom: 11 } });
  });

  it("status: checkedFrom, the head and the last checkpoint come from one moment, even while appends sign checkpoints", async () => {
    const { workspaceId } = await makeWorkspace();
    let appending = true;
    const appends = (async () => {
      for (let round = 0; round < 40; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, i) => appendAuditEventGrouped({ workspaceId, actor: system, action: "test.grouped", data: { round, i } })));
      }
      appending = false;
    })();
    const seen: string[] = [];
    while (appending) {
      const s = await auditStatus({ workspaceId });
      // Rows checkedFrom..events were re-hashed, from the last checkpoint: never past the head it reports.
      if (s.chain.checkedFrom !== (s.lastCheckpoint?.seq ?? 0) + 1 || s.chain.checkedFrom > s.events + 1 || s.uncheckpointed !== s.events - (s.lastCheckpoint?.seq ?? 0)) {
        seen.push(JSON.stringify({ events: s.events, chain: s.chain, last: s.lastCheckpoint?.seq, uncheckpointed: s.uncheckpointed }));
      }
    }
    await appends;
    expect(seen).toEqual([]);
  }, 60_000);

  it("refuses UPDATE and DELETE of checkpoints through the normal path", async () => {
    const { workspaceId } = await makeWorkspace();
    await checkpointHead(workspaceId);
    await expect(db.$executeRaw`UPDATE audit_checkpoints SET hash = repeat('0', 64) WHERE workspace_id = ${workspaceId}::uuid`).rejects.toThrow(/append-only/);
    await expect(db.$executeRaw`DELETE FROM audit_checkpoints WHERE workspace_id = ${workspaceId}::uuid`).rejects.toThrow(/append-only/);
  });
});
