// Start-up validation of the real production server: a bad environment stops `next start` with a message
// naming each variable, before anything is served.
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seal } from "../../../lib/crypto/secret-box";
import { createWorkspace } from "../../helpers/cli";
import { E2E_ENV } from "../../helpers/env";

function startWith(env: Record<string, string>, port = 3197) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn("npx", ["next", "start", "-p", String(port)], { env: { ...process.env, ...E2E_ENV, ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("production refuses to start without AUTH_SECRET and GATEHOUSE_MASTER_KEYS, and names bad values", async () => {
  const { code, output } = await startWith({ AUTH_SECRET: "", GATEHOUSE_MASTER_KEYS: "", REDIS_URL: "http://nope" });
  expect(code).toBe(1);
  expect(output).toContain("AUTH_SECRET: is required in production");
  expect(output).toContain("GATEHOUSE_MASTER_KEYS: is required in production");
  expect(output).toContain("REDIS_URL: must be a URL");
});

test("production refuses to start without TRUST_PROXY_HOPS, since a reachable app cannot trust X-Forwarded-For", async () => {
  const { code, output } = await startWith({ TRUST_PROXY_HOPS: "" }, 3194);
  expect(code).toBe(1);
  expect(output).toContain("TRUST_PROXY_HOPS: is required in production");
});

test("refuses to start when the master keys do not open the stored secrets, naming the key", async () => {
  const { workspaceId, ownerUserId } = createWorkspace();
  const keyBytes = Buffer.from(E2E_ENV.GATEHOUSE_MASTER_KEYS!.slice("e2e:".length), "base64");
  const { box, keyId } = seal([{ id: "e2e", key: keyBytes }], { workspaceId, userId: ownerUserId, name: "STARTUP" }, "startup-check");
  const client = new pg.Client({ connectionString: E2E_ENV.DATABASE_URL });
  await client.connect();
  try {
    await client.query("INSERT INTO secrets (id, workspace_id, user_id, name, ciphertext, key_id, updated_at) VALUES ($1, $2, $3, 'STARTUP', $4, $5, now())", [
      randomUUID(), workspaceId, ownerUserId, Buffer.from(box), keyId,
    ]);
  } finally {
    await client.end();
  }
  const wrong = await startWith({ GATEHOUSE_MASTER_KEYS: `e2e:${randomBytes(32).toString("base64")}` }, 3196);
  expect(wrong.code).toBe(1);
  expect(wrong.output).toContain('key "e2e" in GATEHOUSE_MASTER_KEYS does not open the secrets stored under that id');
  const missing = await startWith({ GATEHOUSE_MASTER_KEYS: `other:${randomBytes(32).toString("base64")}` }, 3195);
  expect(missing.code).toBe(1);
  expect(missing.output).toMatch(/stored secret\(s\) are encrypted with key "e2e", which GATEHOUSE_MASTER_KEYS does not contain/);
});
