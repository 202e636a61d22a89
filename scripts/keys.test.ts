// Master keys end to end in real processes on a database of their own: `gatehouse keys rotate` re-encrypts
// to the active key (users' secrets, providers' client secrets, connections' token sets, MCP client secrets) and old data still reads; the start-up check
// names a missing or wrong key.
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { runScript } from "@/test/run-script";
import { TEST_DATABASE_URL } from "../vitest.config";
import { recreateTestDatabase } from "./lib/migrate";

const DATABASE_URL = `${TEST_DATABASE_URL}_keys`;
const key = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;
const OLD = key("old");
const NEW = key("new");

async function run(script: string, args: string[], keys: string) {
  const r = await runScript(script, args, { DATABASE_URL, GATEHOUSE_MASTER_KEYS: keys });
  return { ...r, json: JSON.parse(r.stdout.trim().split("\n").at(-1) || "null") as unknown };
}
const fixture = (command: string, keys: string) => run("test/fixtures/keys-fixture.ts", [command], keys);

beforeAll(async () => {
  await recreateTestDatabase(DATABASE_URL);
  const seeded = await fixture("seed", OLD);
  expect(seeded.code, seeded.stderr).toBe(0);
});

describe("master keys", () => {
  it("rotates everything to the new active key; old data still reads, then without the old key too", async () => {
    expect((await fixture("check", `${NEW},${OLD}`)).json).toEqual([]);
    const rotated = await run("scripts/gatehouse.ts", ["keys", "rotate", "--json"], `${NEW},${OLD}`);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.json).toEqual({ reencrypted: 6, failed: 0, activeKeyId: "new" });
    const expected = [
      { name: "A", keyId: "new", value: "alpha" },
      { name: "B", keyId: "new", value: "bravo" },
      { name: "C", keyId: "new", value: "charlie" },
      { name: "provider:github", keyId: "new", value: "delta" },
      { name: "connection:https://mcp.keys.test/mcp", keyId: "new", value: "echo/foxtrot" },
      { name: "mcp-client:https://as.keys.test", keyId: "new", value: "golf" },
    ];
    expect((await fixture("read", `${NEW},${OLD}`)).json).toEqual(expected);
    expect((await fixture("read", NEW)).json).toEqual(expected);
    const again = await run("scripts/gatehouse.ts", ["keys", "rotate", "--json"], NEW);
    expect(again.json).toEqual({ reencrypted: 0, failed: 0, activeKeyId: "new" });
  });

  it("names a key the stored secrets need but the configuration lacks, and a wrong key under the right id", async () => {
    const missing = await fixture("check", OLD);
    expect(missing.json).toEqual([
      '3 stored secret(s) are encrypted with key "new", which GATEHOUSE_MASTER_KEYS does not contain',
      '1 provider client secret(s) are encrypted with key "new", which GATEHOUSE_MASTER_KEYS does not contain',
      '1 connection token set(s) are encrypted with key "new", which GATEHOUSE_MASTER_KEYS does not contain',
      '1 MCP client secret(s) are encrypted with key "new", which GATEHOUSE_MASTER_KEYS does not contain',
    ]);
    const wrong = await fixture("check", key("new"));
    expect(wrong.json).toEqual([
      'key "new" in GATEHOUSE_MASTER_KEYS does not open the secrets stored under that id (wrong key?)',
      'key "new" in GATEHOUSE_MASTER_KEYS does not open the provider client secrets stored under that id (wrong key?)',
      'key "new" in GATEHOUSE_MASTER_KEYS does not open the connection token sets stored under that id (wrong key?)',
      'key "new" in GATEHOUSE_MASTER_KEYS does not open the MCP client secrets stored under that id (wrong key?)',
    ]);
  });
});
