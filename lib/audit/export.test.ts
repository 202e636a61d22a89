// Export and offline verification: an NDJSON export verifies with the public key alone, and every way of
// changing it (an event, a checkpoint, the key, a cut) is named; CSV is quoted and defused for spreadsheets.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { hashEvent, type ChainedEvent } from "./canonical";
import { signingIdentity } from "./checkpoint";
import { checkpointHead } from "./checkpoint-sweep";
import { exportAudit, csvCell } from "./export";
import { appendAuditEvent } from "./index";
import { signClaim } from "./signing";
import { verifyExportFile } from "./verify-file";

vi.stubEnv("AUDIT_CHECKPOINT_EVERY", "5");
afterAll(async () => {
  vi.unstubAllEnvs();
  await closeLazyClients();
});

const system = { type: "system" as const, id: "test" };

async function collect(chunks: AsyncIterable<string>) {
  let out = "";
  for await (const c of chunks) out += c;
  return out;
}

async function* linesOf(text: string) {
  for (const line of text.split("\n")) yield line;
}

const verify = (text: string, publicKey = signingIdentity()!.key) => verifyExportFile({ lines: linesOf(text), publicKey });

/** A workspace with 12 events (checkpoints at 5 and 10) exported as NDJSON. */
async function exported() {
  const { workspaceId } = await makeWorkspace();
  for (let i = 0; i < 10; i++) await appendAuditEvent({ workspaceId, actor: { type: "user", id: "u-1" }, action: i % 2 ? "secret.updated" : "job.created", target: `job:${i}`, ip: "10.0.0.1", data: { i, note: "quote \" comma , newline \n" } });
  const text = await collect(exportAudit({ workspaceId, format: "ndjson" }));
  return { workspaceId, text, lines: text.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const rewrite = (lines: Record<string, unknown>[], edit: (l: Record<string, unknown>[]) => void) => {
  const copy = lines.map((l) => structuredClone(l));
  edit(copy);
  return `${copy.map((l) => JSON.stringify(l)).join("\n")}\n`;
};

describe("audit export", () => {
  it("writes a header, every event with what its hash covers, each checkpoint after its event, and a footer; it verifies offline", async () => {
    const { workspaceId, text, lines } = await exported();
    expect(lines[0]).toMatchObject({ type: "header", format: "gatehouse-audit-export", version: 1, workspaceId, filtered: false });
    expect(lines.map((l) => (l.type === "checkpoint" ? `cp${l.seq}` : l.type === "event" ? l.seq : l.type))).toEqual(
      ["header", 1, 2, 3, 4, 5, "cp5", 6, 7, 8, 9, 10, "cp10", 11, 12, "footer"],
    );
    const stored = await db.auditEvent.findFirstOrThrow({ where: { workspaceId, seq: 3 } });
    expect(lines[3]).toEqual({
      type: "event",
      workspaceId,
      seq: 3,
      time: stored.createdAt.toISOString(),
      actor: { type: "user", id: "u-1" },
      action: "job.created",
      target: "job:0",
      ip: "10.0.0.1",
      data: { i: 0, note: "quote \" comma , newline \n" },
      prevHash: stored.prevHash,
      hash: stored.hash,
    });
    expect(lines.at(-1)).toEqual({ type: "footer", events: 12, checkpoints: 2, lastSeq: 12 });
    expect(await verify(text)).toEqual({ ok: true, workspaceId, events: 12, checkpoints: 2, signedThrough: 10, unsignedTail: 2, keyId: signingIdentity()!.keyId });
  });

  it("names the first bad seq of an edited event, even when every later hash was recomputed to match", async () => {
    const { text, lines } = await exported();
    const edited = rewrite(lines, (l) => {
      (l[4]!.data as Record<string, unknown>).i = 42;
    });
    expect(await verify(edited)).toMatchObject({ ok: false, brokenAt: 4, reason: "chain_broken", events: 3 });

    const rechained = rewrite(lines, (l) => {
      let prev = "";
      for (const line of l) {
        if (line.type !== "event") continue;
        if (line.seq === 4) (line.data as Record<string, unknown>).i = 42;
        if ((line.seq as number) >= 4) {
          line.prevHash = prev;
          const actor = line.actor as { type: string; id: string | null };
          line.hash = hashEvent(prev, { ...line, createdAt: new Date(line.time as string), actorType: actor.type, actorId: actor.id } as unknown as ChainedEvent);
        }
        prev = line.hash as string;
      }
    });
    expect(await verify(rechained)).toMatchObject({ ok: false, brokenAt: 5, reason: "checkpoint_hash_mismatch" });
    expect(await verify(text)).toMatchObject({ ok: true });
  });

  it("refuses a forged or foreign signature, another key, a cut-off file and a filtered export", async () => {
    const { workspaceId, text, lines } = await exported();
    const forger = generateKeyPairSync("ed25519").privateKey;
    const forged = rewrite(lines, (l) => {
      const cp = l.find((x) => x.type === "checkpoint" && x.seq === 10)!;
      cp.signature = signClaim(forger, { workspaceId, seq: 10, hash: cp.hash as string }, signingIdentity()!.keyId).signature;
    });
    expect(await verify(forged)).toMatchObject({ ok: false, brokenAt: 10, reason: "checkpoint_bad_signature", signedThrough: 5 });
    expect(await verify(text, generateKeyPairSync("ed25519").publicKey)).toMatchObject({ ok: false, brokenAt: 5, reason: "checkpoint_unknown_key" });

    const cut = text.split("\n").slice(0, 9).join("\n");
    expect(await verify(cut)).toMatchObject({ ok: false, reason: "truncated" });
    const dropped = rewrite(lines, (l) => l.splice(-3, 2));
    expect(await verify(dropped)).toMatchObject({ ok: false, reason: "truncated" });
    expect(await verify(rewrite(lines, (l) => l.splice(2, 0, { type: "comment" })))).toMatchObject({ ok: false, reason: "malformed_export", line: 3 });
    expect(await verify(`${text}{"type":"event"}\n`)).toMatchObject({ ok: false, reason: "malformed_export" });
    expect(await verify(rewrite(lines, (l) => l.shift()))).toMatchObject({ ok: false, reason: "malformed_export", line: 1 });
    expect(await verify(rewrite(lines, (l) => l.splice(3, 1)))).toMatchObject({ ok: false, reason: "chain_broken", brokenAt: 3 });
    // A field the hash does not cover is refused, not carried along as if verified.
    expect(await verify(rewrite(lines, (l) => Object.assign(l[2]!, { approvedBy: "auditor" })))).toMatchObject({ ok: false, reason: "malformed_export", line: 3, brokenAt: 2 });
    expect(await verify(rewrite(lines, (l) => Object.assign(l.find((x) => x.type === "checkpoint")!, { note: "x" })))).toMatchObject({ ok: false, reason: "malformed_export" });

    const filtered = await collect(exportAudit({ workspaceId, format: "ndjson", filters: { action: "secret.*" } }));
    const parsed = filtered.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ type: "header", filtered: true, filters: { action: "secret.*" } });
    expect(parsed.filter((l) => l.type === "event").map((l) => l.action)).toEqual(Array(5).fill("secret.updated"));
    expect(parsed.some((l) => l.type === "checkpoint")).toBe(false);
    expect(await verify(filtered)).toMatchObject({ ok: false, reason: "filtered_export" });
  });

  it("exports only up to the head it started at, and reads in pages", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 6; i++) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended" });
    await checkpointHead(workspaceId);
    const chunks: string[] = [];
    for await (const c of exportAudit({ workspaceId, format: "ndjson", pageSize: 3 })) {
      chunks.push(c);
      if (chunks.length === 2) await appendAuditEvent({ workspaceId, actor: system, action: "test.appended" });
    }
    expect(chunks).toHaveLength(1 + 3 + 1);
    const text = chunks.join("");
    expect(await verify(text)).toMatchObject({ ok: true, events: 8, checkpoints: 2, signedThrough: 8, unsignedTail: 0 });
  });

  it("writes RFC 4180 CSV with the data as JSON, defusing cells a spreadsheet would run", async () => {
    const { workspaceId } = await makeWorkspace();
    await appendAuditEvent({ workspaceId, actor: { type: "user", id: "=HYPERLINK(\"http://x\")" }, action: "test.csv", target: "+1", ip: "@evil", data: { a: "b,\"c\"\r\nd" } });
    const csv = await collect(exportAudit({ workspaceId, format: "csv" }));
    const rows = csv.split("\r\n");
    expect(rows[0]).toBe("workspace_id,seq,time,actor_type,actor_id,action,target,ip,data,prev_hash,hash");
    expect(rows[3]).toContain(`"user","'=HYPERLINK(""http://x"")","test.csv","'+1","'@evil","{""a"":""b,\\""c\\""\\r\\nd""}"`);
    expect(rows.at(-1)).toBe("");
    expect([csvCell("-2"), csvCell("\tx"), csvCell("\rx"), csvCell(null), csvCell(7), csvCell("a\"b")]).toEqual([`"'-2"`, `"'\tx"`, `"'\rx"`, `""`, `"7"`, `"a""b"`]);
  });

  it("refuses an unknown workspace and bad filters before writing anything", async () => {
    await expect(collect(exportAudit({ workspaceId: "00000000-0000-4000-8000-000000000000", format: "ndjson" }))).rejects.toMatchObject({ code: "not_found" });
    await expect(collect(exportAudit({ workspaceId: "not-a-uuid", format: "csv" }))).rejects.toMatchObject({ code: "not_found" });
    const { workspaceId } = await makeWorkspace();
    await expect(collect(exportAudit({ workspaceId, format: "ndjson", filters: { action: "secret.%" } }))).rejects.toMatchObject({ code: "validation_failed" });
    await expect(collect(exportAudit({ workspaceId, format: "xml" as never }))).rejects.toMatchObject({ code: "validation_failed" });
  });
});
