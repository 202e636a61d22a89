import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { boxKeyId, DecryptError, open, seal } from "./secret-box";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const owner = { workspaceId: "8d1c0e52-1111-4c4c-8c8c-000000000001", userId: "8d1c0e52-2222-4c4c-8c8c-000000000002", name: "OPENAI" };

function reason(fn: () => unknown) {
  try {
    fn();
    return "opened";
  } catch (err) {
    return err instanceof DecryptError ? err.reason : "other";
  }
}

describe("secret box", () => {
  it("round-trips text of any size up to 16 KiB and records the active key id", () => {
    for (const value of ["x", "sk-ünïcødé-🔑", "a".repeat(16 * 1024)]) {
      const { box, keyId } = seal([k1, k2], owner, value);
      expect(keyId).toBe("k1");
      expect(boxKeyId(box)).toBe("k1");
      expect(open([k1, k2], owner, box)).toBe(value);
      // (A 1-byte value can occur in random ciphertext by chance; longer ones cannot, except by leaking.)
      if (value.length >= 8) expect(Buffer.from(box).includes(Buffer.from(value))).toBe(false);
    }
  });

  it("uses a fresh nonce every time", () => {
    const a = seal([k1], owner, "same");
    const b = seal([k1], owner, "same");
    expect(Buffer.from(a.box).equals(Buffer.from(b.box))).toBe(false);
  });

  it("refuses a box moved to another workspace, user or name", () => {
    const { box } = seal([k1], owner, "v");
    expect(reason(() => open([k1], { ...owner, workspaceId: "8d1c0e52-1111-4c4c-8c8c-000000000009" }, box))).toBe("authentication_failed");
    expect(reason(() => open([k1], { ...owner, userId: "8d1c0e52-2222-4c4c-8c8c-000000000009" }, box))).toBe("authentication_failed");
    expect(reason(() => open([k1], { ...owner, name: "GITHUB" }, box))).toBe("authentication_failed");
  });

  it("opens boxes of an older key while sealing with the new one, and refuses unknown or wrong keys", () => {
    const old = seal([k2], owner, "v").box;
    expect(open([k1, k2], owner, old)).toBe("v");
    expect(reason(() => open([k1], owner, old))).toBe("unknown_key");
    expect(reason(() => open([{ id: "k2", key: randomBytes(32) }], owner, old))).toBe("authentication_failed");
  });

  it("refuses tampered and malformed boxes", () => {
    const { box } = seal([k1], owner, "value");
    const flipped = Buffer.from(box);
    flipped[flipped.length - 20]! ^= 1;
    expect(reason(() => open([k1], owner, flipped))).toBe("authentication_failed");
    expect(reason(() => open([k1], owner, Buffer.alloc(10)))).toBe("malformed");
    expect(reason(() => open([k1], owner, Buffer.from(box).subarray(0, 20)))).toBe("malformed");
  });
});
