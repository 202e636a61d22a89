// AES-256-GCM at rest (SPEC §6): 0x01 | key-id length (1 byte) | key id | 96-bit nonce | ciphertext | 128-bit tag.
// The associated data binds a box to its owner, (workspace, user, name) for a user's secret or (workspace, provider)
// for a provider's client secret, (workspace, user, connection) for a connection's tokens: copied anywhere else, it fails instead of decrypting.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { MasterKey } from "../config";

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export type UserSecretOwner = { workspaceId: string; userId: string; name: string };
export type ProviderSecretOwner = { kind: "provider-client-secret"; workspaceId: string; providerId: string };
/** A connection's token set (SPEC §12): access and refresh token of one user's connection. */
export type ConnectionTokensOwner = { kind: "connection-tokens"; workspaceId: string; userId: string; connectionId: string };
/** Gatehouse's client secret from a dynamic registration at an MCP server's authorization server. */
export type McpClientSecretOwner = { kind: "mcp-client-secret"; issuer: string; redirectUri: string };
export type SecretOwner = UserSecretOwner | ProviderSecretOwner | ConnectionTokensOwner | McpClientSecretOwner;

export class DecryptError extends Error {
  constructor(readonly reason: "malformed" | "unknown_key" | "authentication_failed") {
    super(`secret could not be decrypted: ${reason}`);
    this.name = "DecryptError";
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

function ownerLabel(owner: SecretOwner): string {
  const kind = (owner as { kind?: unknown }).kind;
  if (kind === undefined) {
    const o = owner as UserSecretOwner;
    return `gatehouse/secret/v${VERSION}\0${o.workspaceId}\0${o.userId}\0${o.name}\0`;
  }
  if (kind === "provider-client-secret") {
    const o = owner as ProviderSecretOwner;
    return `gatehouse/provider-client-secret/v${VERSION}\0${o.workspaceId}\0${o.providerId}\0`;
  }
  if (kind === "connection-tokens") {
    const o = owner as ConnectionTokensOwner;
    return `gatehouse/connection-tokens/v${VERSION}\0${o.workspaceId}\0${o.userId}\0${o.connectionId}\0`;
  }
  if (kind === "mcp-client-secret") {
    const o = owner as McpClientSecretOwner;
    return `gatehouse/mcp-client-secret/v${VERSION}\0${o.issuer}\0${o.redirectUri}\0`;
  }
  throw new Error("unknown secret owner kind");
}

function associatedData(owner: SecretOwner, header: Buffer): Buffer {
  // NUL-separated: no part can contain NUL. A distinct label per kind of owner, so a box of one kind never opens as
  // the other. The header (version, key id) is authenticated too.
  return Buffer.concat([Buffer.from(ownerLabel(owner), "utf8"), header]);
}

export function seal(keys: readonly MasterKey[], owner: SecretOwner, plaintext: string): { box: Uint8Array<ArrayBuffer>; keyId: string } {
  const active = keys[0];
  if (!active) throw new Error("no master key configured");
  const keyId = Buffer.from(active.id, "ascii");
  const header = Buffer.concat([Buffer.from([VERSION, keyId.length]), keyId]);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", active.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(owner, header));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const box = new Uint8Array(Buffer.concat([header, nonce, data, cipher.getAuthTag()]));
  return { box, keyId: active.id };
}

export function boxKeyId(box: Uint8Array): string | null {
  const b = Buffer.from(box.buffer, box.byteOffset, box.byteLength);
  if (b.length < 2 || b[0] !== VERSION) return null;
  const len = b[1]!;
  if (len === 0 || b.length < 2 + len + NONCE_BYTES + TAG_BYTES) return null;
  const id = b.subarray(2, 2 + len).toString("latin1");
  return KEY_ID.test(id) ? id : null;
}

export function open(keys: readonly MasterKey[], owner: SecretOwner, box: Uint8Array): string {
  const keyId = boxKeyId(box);
  if (keyId === null) throw new DecryptError("malformed");
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new DecryptError("unknown_key");
  const b = Buffer.from(box.buffer, box.byteOffset, box.byteLength);
  const start = 2 + keyId.length;
  const nonce = b.subarray(start, start + NONCE_BYTES);
  const data = b.subarray(start + NONCE_BYTES, b.length - TAG_BYTES);
  const tag = b.subarray(b.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(owner, b.subarray(0, start)));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptError("authentication_failed");
  }
}
