// `gatehouse audit verify --file F --public-key K [--checkpoints C] [--workspace W]`: an NDJSON export (export.ts)
// checked with nothing but the file, the public key and what the verifier kept — no database, no configuration.
// The chain is recomputed from seq 1 and every checkpoint line must match the hash recomputed at its seq and carry a
// valid signature by that key. The file alone cannot show what was left out of it (checkpoint lines, the tail, or a
// whole log rewritten with none): the checkpoints kept from GET /api/v1/audit/checkpoints can. An export whose chain
// holds but that has no valid checkpoint yet (a young workspace) is consistent, not proven: ok, with signedThrough 0
// and the warning "no_checkpoints"; with --checkpoints, the kept ones must all be in it.
import type { KeyObject } from "node:crypto";
import { ChainCheck, verifierFor, type CheckpointProblem } from "./chain-check";
import { publicKeyInfo, verifyClaim, type SignedClaim } from "./signing";

export type FileVerifyProblem =
  | "chain_broken"
  | CheckpointProblem
  | "malformed_export"
  | "filtered_export"
  | "truncated"
  /** The export is of another workspace than --workspace, or than the kept checkpoints name. */
  | "workspace_mismatch"
  /** A kept checkpoint that does not verify with the public key. */
  | "kept_checkpoint_bad_signature"
  /** The export reaches a kept checkpoint's seq but has no checkpoint line there (dropped). */
  | "kept_checkpoint_missing"
  /** The export's hash at a kept checkpoint's seq is another one: history before it was rewritten. */
  | "kept_checkpoint_mismatch"
  /** The export ends before a kept checkpoint's seq: its tail was cut. */
  | "kept_checkpoint_beyond_export";

export type FileVerifyResult = {
  ok: boolean;
  workspaceId?: string;
  events: number;
  checkpoints: number;
  brokenAt?: number;
  reason?: FileVerifyProblem;
  /** With malformed_export and truncated: the 1-based line it was noticed at. */
  line?: number;
  /** The seq of the last valid checkpoint: everything up to it is proven by a signature. */
  signedThrough: number;
  /** Events after that: consistent, but removing some of them from the end would go unnoticed. */
  unsignedTail: number;
  keyId: string;
  /** With --checkpoints: how many kept checkpoints were given (each must hold for ok). */
  keptCheckpoints?: number;
  /** ok, but events and not one valid signed checkpoint: consistent, yet nothing proves it is the recorded history. */
  warning?: "no_checkpoints";
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === "string";
const strOrNull = (v: unknown) => v === null || typeof v === "string";
const int = (v: unknown): v is number => Number.isSafeInteger(v);

// Exactly these keys: a field the hash does not cover must not ride along looking verified.
const EVENT_KEYS = "action,actor,data,hash,ip,prevHash,seq,target,time,type,workspaceId";
const CHECKPOINT_KEYS = "createdAt,hash,keyId,seq,signature,type,workspaceId";
const keysOf = (o: Json) => Object.keys(o).sort().join(",");

// The key order export.ts writes. A line must be byte for byte what the exporter would write for what it parses
// to: JSON.parse keeps the last of duplicate keys, so a line could otherwise show one value and verify another.
const LINE_ORDER: Record<string, string[]> = {
  header: ["type", "format", "version", "workspaceId", "exportedAt", "filtered", "filters"],
  event: ["type", "workspaceId", "seq", "time", "actor", "action", "target", "ip", "data", "prevHash", "hash"],
  checkpoint: ["type", "workspaceId", "seq", "hash", "signature", "keyId", "createdAt"],
  footer: ["type", "events", "checkpoints", "lastSeq"],
};

function isExporterLine(raw: string, line: Json): boolean {
  const order = typeof line.type === "string" ? LINE_ORDER[line.type] : undefined;
  if (!order) return false;
  const ordered = (o: Json, keys: string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
  const rebuilt = ordered(line, order);
  if (isObject(line.actor)) rebuilt.actor = ordered(line.actor, ["type", "id"]);
  return JSON.stringify(rebuilt) === raw;
}

function eventOf(line: Json) {
  const actor = line.actor;
  if (keysOf(line) !== EVENT_KEYS || !isObject(actor) || keysOf(actor) !== "id,type") return null;
  if (!str(line.workspaceId) || !int(line.seq) || !str(line.time) || !isObject(actor) || !str(actor.type) || !strOrNull(actor.id)) return null;
  if (!str(line.action) || !strOrNull(line.target) || !strOrNull(line.ip) || !("data" in line) || !str(line.prevHash) || !str(line.hash)) return null;
  const createdAt = new Date(line.time);
  // Only the exact form we hash: another spelling of the same instant would verify under a different text.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== line.time) return null;
  return {
    workspaceId: line.workspaceId,
    seq: line.seq,
    createdAt,
    actorType: actor.type,
    actorId: actor.id as string | null,
    action: line.action,
    target: line.target as string | null,
    ip: line.ip as string | null,
    data: line.data,
    prevHash: line.prevHash,
    hash: line.hash,
  };
}

export type VerifyFileInput = {
  lines: AsyncIterable<string>;
  publicKey: KeyObject;
  /** Checkpoints kept from GET /api/v1/audit/checkpoints (kept-checkpoints.ts): each must hold in the export. */
  kept?: SignedClaim[];
  /** The workspace the export must be of. */
  workspaceId?: string;
};

export async function verifyExportFile({ lines, publicKey, kept, workspaceId: expected }: VerifyFileInput): Promise<FileVerifyResult> {
  const keyId = publicKeyInfo(publicKey).keyId;
  let check: ChainCheck | null = null;
  let workspaceId: string | undefined;
  let n = 0;
  let footer: Json | null = null;
  // The export's checkpoint lines that held, and the recomputed hash at each kept seq.
  const signedInExport = new Set<number>();
  const keptSeqs = new Set((kept ?? []).map((k) => k.seq));
  const recomputedAt = new Map<number, string>();

  const finish = (problem?: { reason: FileVerifyProblem; brokenAt?: number; line?: number }): FileVerifyResult => {
    const r = check?.result();
    const signedThrough = r?.lastCheckpoint?.seq ?? 0;
    const events = r?.events ?? 0;
    const base = {
      workspaceId,
      events,
      checkpoints: r?.checkpoints ?? 0,
      signedThrough,
      unsignedTail: Math.max(0, (r?.lastSeq ?? 0) - signedThrough),
      keyId,
      ...(kept ? { keptCheckpoints: kept.length } : {}),
    };
    // A bad checkpoint always comes before whatever stopped the walk: it is the first problem.
    if (r?.firstBadCheckpoint) return { ok: false, ...base, brokenAt: r.firstBadCheckpoint.seq, reason: r.firstBadCheckpoint.reason };
    if (problem) return { ok: false, ...base, ...problem };
    if (r?.chainBrokenAt !== undefined) return { ok: false, ...base, brokenAt: r.chainBrokenAt, reason: "chain_broken" };
    return { ok: true, ...base };
  };
  const nextSeq = () => (check?.result().lastSeq ?? 0) + 1;

  for await (const raw of lines) {
    n += 1;
    if (raw.trim() === "") continue;
    if (footer) return finish({ reason: "malformed_export", line: n });
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      line = null;
    }
    if (!isObject(line) || !isExporterLine(raw, line)) return finish({ reason: "malformed_export", line: n, brokenAt: check ? nextSeq() : undefined });
    if (!check) {
      if (line.type !== "header" || line.format !== "gatehouse-audit-export" || line.version !== 1 || !str(line.workspaceId)) {
        return finish({ reason: "malformed_export", line: n });
      }
      workspaceId = line.workspaceId;
      if ((expected !== undefined && workspaceId !== expected) || kept?.some((k) => k.workspaceId !== workspaceId)) {
        return finish({ reason: "workspace_mismatch", line: n });
      }
      if (line.filtered !== false) return finish({ reason: "filtered_export", line: n });
      const bad = kept?.find((k) => k.keyId !== keyId || !verifyClaim(publicKey, k, k.signature));
      if (bad) return finish({ reason: "kept_checkpoint_bad_signature", brokenAt: bad.seq });
      check = new ChainCheck(workspaceId, verifierFor(publicKey));
      continue;
    }
    if (line.type === "event") {
      const event = eventOf(line);
      if (!event) return finish({ reason: "malformed_export", line: n, brokenAt: nextSeq() });
      // The first event that does not fit ends the walk: nothing after it can be judged.
      if (!check.addEvent(event)) return finish();
      if (keptSeqs.has(event.seq)) recomputedAt.set(event.seq, event.hash);
    } else if (line.type === "checkpoint") {
      if (keysOf(line) !== CHECKPOINT_KEYS || !str(line.workspaceId) || !int(line.seq) || !str(line.hash) || !str(line.signature) || !str(line.keyId)) {
        return finish({ reason: "malformed_export", line: n });
      }
      const before = check.result().verifiedCheckpoints;
      check.addCheckpoint({ workspaceId: line.workspaceId, seq: line.seq, hash: line.hash, signature: line.signature, keyId: line.keyId });
      if (check.result().verifiedCheckpoints > before) signedInExport.add(line.seq);
    } else if (line.type === "footer") {
      footer = line;
    } else {
      return finish({ reason: "malformed_export", line: n });
    }
  }
  if (!check) return finish({ reason: "malformed_export", line: n });
  const r = check.result();
  // An export cut short (a dropped download) has no footer, or one that does not add up.
  if (!footer || footer.events !== r.events || footer.checkpoints !== r.checkpoints || footer.lastSeq !== r.lastSeq) {
    return finish({ reason: "truncated", line: n });
  }
  if (r.events === 0) return finish({ reason: "chain_broken", brokenAt: 1 });
  if (r.firstBadCheckpoint) return finish();
  // What the file alone cannot show: dropped checkpoint lines, a cut tail, a history rewritten before a kept seq.
  for (const k of [...(kept ?? [])].sort((a, b) => a.seq - b.seq)) {
    if (k.seq > r.lastSeq) return finish({ reason: "kept_checkpoint_beyond_export", brokenAt: k.seq });
    if (recomputedAt.get(k.seq) !== k.hash) return finish({ reason: "kept_checkpoint_mismatch", brokenAt: k.seq });
    if (!signedInExport.has(k.seq)) return finish({ reason: "kept_checkpoint_missing", brokenAt: k.seq });
  }
  const done = finish();
  return done.ok && done.events > 0 && done.signedThrough === 0 ? { ...done, warning: "no_checkpoints" } : done;
}
