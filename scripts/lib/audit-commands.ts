// `gatehouse audit …` (SPEC §8, §9): verify (the database, or an export file offline), export, public-key.
import { STREAMED, str, UsageError, uuid, type Command, type Options } from "./cli-command";

export const auditCommands: Command[] = [
  {
    name: "audit verify",
    options: { workspace: str, file: str, "public-key": str, checkpoints: str },
    required: [],
    offline: (o) => o.file !== undefined,
    async run(o) {
      if (o.file !== undefined) return verifyFile(o.file as string, o);
      if (o["public-key"] !== undefined) throw new UsageError("--public-key goes with --file (the database is checked with the configured key)");
      if (o.checkpoints !== undefined) throw new UsageError("--checkpoints goes with --file (the database holds its own)");
      const { verifyAudit } = await import("../../lib/audit/verify");
      const result = await verifyAudit({ workspaceId: o.workspace === undefined ? undefined : uuid(o.workspace, "workspace") });
      if (!result.ok) process.exitCode = 1;
      return result;
    },
  },
  {
    name: "audit export",
    options: { workspace: str, format: str },
    required: ["workspace"],
    async run(o, io) {
      const format = (o.format as string | undefined) ?? "ndjson";
      if (format !== "ndjson" && format !== "csv") throw new UsageError(`--format must be ndjson or csv, got "${format}"`);
      if (!io.stream) throw new UsageError("audit export streams to stdout, so it cannot run in batch");
      const workspaceId = uuid(o.workspace, "workspace");
      const { exportAudit } = await import("../../lib/audit/export");
      await io.stream(exportAudit({ workspaceId, format }));
      return STREAMED;
    },
  },
  {
    name: "audit checkpoint",
    options: { workspace: str },
    required: ["workspace"],
    async run(o) {
      const workspaceId = uuid(o.workspace, "workspace");
      const { signingIdentity } = await import("../../lib/audit/checkpoint");
      if (!signingIdentity()) {
        const { ConfigError } = await import("../../lib/config");
        throw new ConfigError(["GATEHOUSE_AUDIT_SIGNING_KEY: is not set, so no checkpoint can be signed"]);
      }
      const { checkpointHead } = await import("../../lib/audit/checkpoint-sweep");
      const { db } = await import("../../lib/db/client");
      if (!(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
        const { AppError } = await import("../../lib/errors");
        throw new AppError("not_found", "No such workspace.");
      }
      const r = await checkpointHead(workspaceId);
      if (r.signed) return r;
      if (r.reason !== "refused") return { signed: false, reason: r.reason === "no_events" ? "the workspace has no events" : "the head is already signed" };
      process.exitCode = 1;
      return { signed: false, reason: "refused: the chain since the last checkpoint does not recompute; audit verify names the break" };
    },
  },
  {
    name: "audit public-key",
    options: {},
    required: [],
    async run() {
      const { signingIdentity } = await import("../../lib/audit/checkpoint");
      const signer = signingIdentity();
      if (!signer) {
        const { ConfigError } = await import("../../lib/config");
        throw new ConfigError(["GATEHOUSE_AUDIT_SIGNING_KEY: is not set, so no checkpoint is signed and there is no public key"]);
      }
      return { publicKey: signer.publicKey, keyId: signer.keyId };
    },
  },
];

async function verifyFile(file: string, o: Options) {
  const publicKeyText = o["public-key"];
  if (typeof publicKeyText !== "string" || publicKeyText === "") throw new UsageError("--file needs --public-key (what `audit public-key` prints)");
  const workspaceId = o.workspace === undefined ? undefined : uuid(o.workspace, "workspace");
  const { parsePublicKey } = await import("../../lib/audit/signing");
  const publicKey = parsePublicKey(publicKeyText);
  if (!publicKey) throw new UsageError("--public-key must be the base64 SPKI DER Ed25519 key that `audit public-key` prints");
  const { createReadStream } = await import("node:fs");
  const { access, readFile } = await import("node:fs/promises");
  const { createInterface } = await import("node:readline");
  await access(file).catch(() => {
    throw new UsageError(`--file: cannot read ${file}`);
  });
  const kept = typeof o.checkpoints === "string" ? await readKept(o.checkpoints, readFile) : undefined;
  const { verifyExportFile } = await import("../../lib/audit/verify-file");
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  const result = await verifyExportFile({ lines, publicKey, kept, workspaceId });
  if (!result.ok) process.exitCode = 1;
  return result;
}

async function readKept(file: string, readFile: (path: string, encoding: "utf8") => Promise<string>) {
  const text = await readFile(file, "utf8").catch(() => {
    throw new UsageError(`--checkpoints: cannot read ${file}`);
  });
  const { KeptCheckpointsError, parseKeptCheckpoints } = await import("../../lib/audit/kept-checkpoints");
  try {
    return parseKeptCheckpoints(text);
  } catch (err) {
    if (err instanceof KeptCheckpointsError) throw new UsageError(`--checkpoints: ${err.message}`);
    throw err;
  }
}
