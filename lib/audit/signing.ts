// Ed25519 checkpoint signatures (SPEC §8). No database and no configuration here: the offline verifier
// (`gatehouse audit verify --file`) uses exactly these functions.
//
// The signed message is the UTF-8 of canonicalJson({workspaceId, seq, hash}): keys sorted, no whitespace,
//   {"hash":"<64 lower-case hex>","seq":<decimal integer>,"workspaceId":"<lower-case uuid>"}
// signed with pure Ed25519 (RFC 8032, no pre-hash). The signature is stored and exported as standard base64
// (64 bytes); the key id is the first 16 hex digits of SHA-256 of the raw 32-byte public key.
import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { canonicalJson } from "./canonical";

export type CheckpointClaim = { workspaceId: string; seq: number; hash: string };
export type SignedClaim = CheckpointClaim & { signature: string; keyId: string };
export type PublicKeyInfo = { publicKey: string; keyId: string };

export function checkpointMessage({ workspaceId, seq, hash }: CheckpointClaim): Buffer {
  return Buffer.from(canonicalJson({ workspaceId, seq, hash }), "utf8");
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" }) as { x?: string };
  return Buffer.from(jwk.x ?? "", "base64url");
}

/** What `gatehouse audit public-key` prints and `--public-key` takes: base64 SPKI DER, and its key id. */
export function publicKeyInfo(key: KeyObject): PublicKeyInfo {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ format: "der", type: "spki" });
  return { publicKey: der.toString("base64"), keyId: createHash("sha256").update(rawPublicKey(pub)).digest("hex").slice(0, 16) };
}

/** A base64 SPKI DER Ed25519 public key, or null for anything else. */
export function parsePublicKey(text: string): KeyObject | null {
  const trimmed = text.trim();
  const der = Buffer.from(trimmed, "base64");
  if (der.length === 0 || der.toString("base64").replace(/=+$/, "") !== trimmed.replace(/=+$/, "")) return null;
  try {
    const key = createPublicKey({ key: der, format: "der", type: "spki" });
    return key.asymmetricKeyType === "ed25519" ? key : null;
  } catch {
    return null;
  }
}

export function signClaim(privateKey: KeyObject, claim: CheckpointClaim, keyId: string): SignedClaim {
  return { ...claim, signature: sign(null, checkpointMessage(claim), privateKey).toString("base64"), keyId };
}

export function verifyClaim(publicKey: KeyObject, claim: CheckpointClaim, signature: string): boolean {
  const sig = Buffer.from(signature, "base64");
  if (sig.length !== 64 || sig.toString("base64") !== signature) return false;
  try {
    return verify(null, checkpointMessage(claim), publicKey, sig);
  } catch {
    return false;
  }
}
