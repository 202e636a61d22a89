// What an export file alone cannot prove, and how the offline verifier is told: the checkpoints kept from the API
// catch dropped checkpoint lines, a cut tail and a log rewritten with none; --workspace catches another workspace's
// valid export; an export with no signed checkpoint is not ok; a line must be exactly what the exporter writes.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { closeLazyClients } from "../lazy";
import { hashEvent, type ChainedEvent } from "./canonical";
import { signingIdentity } from "./checkpoint";
import { listCheckpoints } from "./checkpoint-list";
import { exportAudit } from "./export";
import { appendAuditEvent } from "./index";
import { KeptCheckpointsError, parseKeptCheckpoints } from "./kept-checkpoints";
import { signClaim, type SignedClaim } from "./signing";
import { verifyExportFile } from "./verify-file";

vi.stubEnv("AUDIT_CHECKPOINT_EVERY", "5");
afterAll(async () => {
  vi.unstubAllEnvs();
  await closeLazyClients();
});

type Line = Record<string, unknown>;

async function collect(chunks: AsyncIterable<string>) {
  let out = "";
  for await (const c of chunks) out += c;
  return out;
}

async function* linesOf(text: string) {
  for (const line of text.split("\n")) yield line;
}

const verify = (text: string, opts: { kept?: SignedClaim[]; workspaceId?: string } = {}) =>
  verifyExportFile({ lines: linesOf(text), publicKey: signingIdentity()!.key, ...opts });

/** 12 events, checkpoints at 5 and 10; `kept` is what GET /api/v1/audit/checkpoints returned, as a file holds it. */
async function exported() {
  const { workspaceId } = await makeWorkspace();
  for (let i = 0; i < 10; i++) await appendAuditEvent({ workspaceId, actor: { type: "user", id: "u-1" }, action: i % 2 ? "secret.updated" : "job.created", target: `job:${i}`, data: { i } });
  const text = await collect(exportAudit({ workspaceId, format: "ndjson" }));
  const kept = parseKeptCheckpoints(JSON.stringify(await listCheckpoints({ workspaceId })));
  return { workspaceId, text, kept, lines: text.trimEnd().split("\n").map((l) => JSON.parse(l) as Line) };
}

/** Edited as an attacker would, footer made to add up again so the file looks whole. */
function forge(lines: Line[], edit: (l: Line[]) => Line[]) {
  const copy = edit(lines.map((l) => structuredClone(l)));
  const events = copy.filter((l) => l.type === "event");
  Object.assign(copy.at(-1)!, { events: events.length, checkpoints: copy.filter((l) => l.type === "checkpoint").length, lastSeq: events.at(-1)?.seq ?? 0 });
  return `${copy.map((l) => JSON.stringify(l)).join("\n")}\n`;
}

function rechain(lines: Line[], fromSeq: number, change: (l: Line) => void) {
  let prev = "";
  for (const line of lines) {
    if (line.type !== "event") continue;
    if (line.seq === fromSeq) change(line);
    if ((line.seq as number) >= fromSeq) {
      line.prevHash = prev;
      const actor = line.actor as { type: string; id: string | null };
      line.hash = hashEvent(prev, { ...line, createdAt: new Date(line.time as string), actorType: actor.type, actorId: actor.id } as unknown as ChainedEvent);
    }
    prev = line.hash as string;
  }
  return lines;
}

describe("audit verify --file: what the file alone cannot show", () => {
  it("accepts the export with its kept checkpoints and its own workspace", async () => {
    const { workspaceId, text, kept } = await exported();
    expect(kept.map((k) => k.seq)).toEqual([5, 10]);
    expect(await verify(text, { kept, workspaceId })).toEqual({
      ok: true,
      workspaceId,
      events: 12,
      checkpoints: 2,
      signedThrough: 10,
      unsignedTail: 2,
      keyId: signingIdentity()!.keyId,
      keptCheckpoints: 2,
    });
  });

  it("catches dropped checkpoint lines and a cut tail with the kept checkpoints", async () => {
    const { text, kept, lines } = await exported();
    const noCp10 = forge(lines, (l) => l.filter((x) => !(x.type === "checkpoint" && x.seq === 10)));
    expect(await verify(noCp10)).toMatchObject({ ok: true, signedThrough: 5, unsignedTail: 7 });
    expect(await verify(noCp10, { kept })).toMatchObject({ ok: false, reason: "kept_checkpoint_missing", brokenAt: 10 });

    const cut = forge(lines, (l) => [l[0]!, ...l.filter((x) => (x.type === "event" || x.type === "checkpoint") && (x.seq as number) <= 7), l.at(-1)!]);
    expect(await verify(cut)).toMatchObject({ ok: true, events: 7, signedThrough: 5 });
    expect(await verify(cut, { kept })).toMatchObject({ ok: false, reason: "kept_checkpoint_beyond_export", brokenAt: 10 });
    expect(await verify(text, { kept: [...kept, ...kept] })).toMatchObject({ ok: true, keptCheckpoints: 4 });
  });

  it("a log rewritten with no checkpoints is only consistent (a warning, nothing signed), and the kept ones name the first rewritten checkpoint", async () => {
    const { kept, lines } = await exported();
    const rewritten = forge(lines, (l) => rechain(l.filter((x) => x.type !== "checkpoint"), 4, (e) => Object.assign(e, { action: "job.deleted" })));
    expect(await verify(rewritten)).toMatchObject({ ok: true, warning: "no_checkpoints", events: 12, checkpoints: 0, signedThrough: 0, unsignedTail: 12 });
    expect(await verify(rewritten, { kept })).toMatchObject({ ok: false, reason: "kept_checkpoint_mismatch", brokenAt: 5 });
  });

  it("another workspace's valid export is refused when the workspace is named, by --workspace or by the kept checkpoints", async () => {
    const a = await exported();
    const b = await exported();
    expect(await verify(b.text)).toMatchObject({ ok: true, workspaceId: b.workspaceId });
    expect(await verify(b.text, { workspaceId: a.workspaceId })).toMatchObject({ ok: false, reason: "workspace_mismatch", line: 1, workspaceId: b.workspaceId });
    expect(await verify(b.text, { kept: a.kept })).toMatchObject({ ok: false, reason: "workspace_mismatch", line: 1 });
  });

  it("a kept checkpoint must verify with the public key", async () => {
    const { workspaceId, text, kept } = await exported();
    const forged = { ...kept[1]!, signature: signClaim(generateKeyPairSync("ed25519").privateKey, { workspaceId, seq: 10, hash: kept[1]!.hash }, kept[1]!.keyId).signature };
    expect(await verify(text, { kept: [kept[0]!, forged] })).toMatchObject({ ok: false, reason: "kept_checkpoint_bad_signature", brokenAt: 10 });
  });

  it("a line must be exactly what the exporter writes: a duplicate key, another key order or spacing is malformed", async () => {
    const { text } = await exported();
    const lines = text.split("\n");
    const at = lines.findIndex((l) => l.includes('"action":"secret.updated"'));
    // JSON.parse keeps the last "action": the line would read as job.deleted to a person and verify as the original.
    const duplicate = lines.with(at, lines[at]!.replace('"action":"secret.updated"', '"action":"job.deleted","action":"secret.updated"')).join("\n");
    expect(JSON.parse(duplicate.split("\n")[at]!).action).toBe("secret.updated");
    expect(await verify(duplicate)).toMatchObject({ ok: false, reason: "malformed_export", line: at + 1 });
    const dataDuplicate = lines.with(at, lines[at]!.replace('"data":{"i":', '"data":{"i":99,"i":')).join("\n");
    expect(await verify(dataDuplicate)).toMatchObject({ ok: false, reason: "malformed_export", line: at + 1 });
    const reordered = (o: Line) => JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
    expect(await verify(lines.with(at, reordered(JSON.parse(lines[at]!) as Line)).join("\n"))).toMatchObject({ ok: false, reason: "malformed_export", line: at + 1 });
    expect(await verify(lines.with(at, lines[at]!.replace(/,"/g, ', "')).join("\n"))).toMatchObject({ ok: false, reason: "malformed_export", line: at + 1 });
    expect(await verify(lines.with(0, lines[0]!.replace('"version":1', '"version":1,"version":1')).join("\n"))).toMatchObject({ ok: false, reason: "malformed_export", line: 1 });
    expect(await verify(text)).toMatchObject({ ok: true });
  });
});

describe("the kept checkpoints file", () => {
  const cp = (seq: number) => ({ workspaceId: "0b6f4c7e-8d0a-4a53-9a55-000000000001", seq, hash: "a".repeat(64), signature: "c2ln", keyId: "0123456789abcdef", createdAt: "2026-01-01T00:00:00.000Z" });
  const seqs = (text: string) => parseKeptCheckpoints(text).map((c) => c.seq);

  it("takes the API's pages (one, several concatenated or one per line), a JSON array, or NDJSON of checkpoints", () => {
    expect(seqs(JSON.stringify({ checkpoints: [cp(1), cp(2)], nextAfter: 2 }))).toEqual([1, 2]);
    expect(seqs(`${JSON.stringify({ checkpoints: [cp(1)], nextAfter: 1 })}${JSON.stringify({ checkpoints: [cp(2)], nextAfter: null })}`)).toEqual([1, 2]);
    expect(seqs(`${JSON.stringify({ checkpoints: [cp(1)] }, null, 2)}\n${JSON.stringify({ checkpoints: [cp(2)] })}\n`)).toEqual([1, 2]);
    expect(seqs(JSON.stringify([cp(3), cp(4)]))).toEqual([3, 4]);
    expect(seqs(`${JSON.stringify(cp(5))}\n${JSON.stringify({ type: "checkpoint", ...cp(6) })}\n`)).toEqual([5, 6]);
    expect(seqs(JSON.stringify({ checkpoints: [{ ...cp(7), signature: 'with "quotes" and } braces' }] }))).toEqual([7]);
    expect(seqs("")).toEqual([]);
  });

  it("refuses anything else", () => {
    for (const text of ["nope", "{", '{"checkpoints":{}}', JSON.stringify([{ seq: 1 }]), JSON.stringify([{ ...cp(1), type: "event" }]), JSON.stringify([{ ...cp(0) }]), "[1]"]) {
      expect(() => parseKeptCheckpoints(text), text).toThrow(KeptCheckpointsError);
    }
  });
});
