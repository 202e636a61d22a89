// SLOW (about 30 s on 2 cores): 100,000 audit events of one workspace, about 60 MB of NDJSON. The export must
// stream in bounded memory (buffering it would hold the whole file) and the file must verify offline; the chain
// status of that workspace is timed for the admin page.
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { db } from "../db/client";
import { sqlTransaction } from "../db/sql";
import { closeLazyClients } from "../lazy";
import { signingIdentity } from "./checkpoint";
import { exportAudit } from "./export";
import { chainInsert } from "./group-commit";
import { auditStatus } from "./status";
import { verifyExportFile } from "./verify-file";

const EVENTS = 100_000;
const BATCH = 2000;
const MiB = 1024 * 1024;

// A collection before each sample, so what is measured is what the export keeps, not garbage not yet collected.
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

let dir = "";
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await closeLazyClients();
});

/** Chained and signed exactly as the group commit does it (every 1000th after its window re-hashed), a batch per script. */
async function fill(workspaceId: string, count: number) {
  const head = await db.auditEvent.findFirstOrThrow({ where: { workspaceId }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  let last = { seq: head.seq, hash: head.hash };
  const pad = "x".repeat(300);
  for (let done = 0; done < count; done += BATCH) {
    const inputs = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) => ({
      workspaceId,
      actor: { type: "job" as const, id: `job-${(done + i) % 97}` },
      action: "credentials.served",
      target: `job:${(done + i) % 97}`,
      ip: "10.1.2.3",
      data: { i: done + i, secrets: ["OPENAI_KEY", "GITHUB_TOKEN"], pad },
    }));
    last = await sqlTransaction(async (conn) => {
      const { sql, appended } = await chainInsert(conn, new Map([[workspaceId, last]]), inputs);
      await conn.scriptAndCommit(sql);
      return appended[appended.length - 1]!;
    });
  }
}

describe("audit export of 100,000 events (slow)", () => {
  it("streams in bounded memory, verifies offline, and the status of the chain is timed", async () => {
    const { workspaceId } = await makeWorkspace();
    const fillStarted = performance.now();
    await fill(workspaceId, EVENTS - 2);
    const fillMs = performance.now() - fillStarted;
    dir = await mkdtemp(path.join(tmpdir(), "gh-audit-export-"));
    const file = path.join(dir, "audit.ndjson");

    const sink = createWriteStream(file);
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    let bytes = 0;
    let chunks = 0;
    const started = performance.now();
    for await (const chunk of exportAudit({ workspaceId, format: "ndjson" })) {
      bytes += Buffer.byteLength(chunk);
      if (!sink.write(chunk)) await once(sink, "drain");
      if (++chunks % 10 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    sink.end();
    await once(sink, "finish");
    const exportMs = performance.now() - started;
    // Holding the export would keep more than the file's size (about 60 MB) on the heap; streaming keeps a page.
    expect(bytes).toBeGreaterThan(50 * MiB);
    expect(peak - base).toBeLessThan(32 * MiB);

    const verifyStarted = performance.now();
    const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
    const verified = await verifyExportFile({ lines, publicKey: signingIdentity()!.key });
    const verifyMs = performance.now() - verifyStarted;
    expect(verified).toMatchObject({ ok: true, events: EVENTS, checkpoints: EVENTS / 1000, signedThrough: EVENTS, unsignedTail: 0 });

    const statusStarted = performance.now();
    const status = await auditStatus({ workspaceId });
    const statusMs = performance.now() - statusStarted;
    expect(status).toMatchObject({ events: EVENTS, chain: { ok: true, checkedFrom: EVENTS + 1, full: false }, checkpointsValid: true, uncheckpointed: 0, lastCheckpoint: { seq: EVENTS } });
    const fullStarted = performance.now();
    expect(await auditStatus({ workspaceId, full: true })).toMatchObject({ chain: { ok: true, checkedFrom: 1, full: true }, checkpointsValid: true });
    const fullMs = performance.now() - fullStarted;
    process.stdout.write(
      `[audit 100k] fill ${Math.round(fillMs)} ms; export ${Math.round(exportMs)} ms, ${Math.round(bytes / MiB)} MiB, heap peak +${Math.round((peak - base) / MiB)} MiB; ` +
        `offline verify ${Math.round(verifyMs)} ms; auditStatus ${Math.round(statusMs)} ms, with full: true ${Math.round(fullMs)} ms\n`,
    );
  }, 120_000);
});
