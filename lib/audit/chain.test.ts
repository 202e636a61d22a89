import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { runScript } from "@/test/run-script";
import { db } from "../db/client";
import { closeLazyClients } from "../lazy";
import { appendAuditEvent, verifyAudit, verifyAuditChain } from "./index";

afterAll(closeLazyClients);

async function seqs(workspaceId: string) {
  const rows = await db.auditEvent.findMany({ where: { workspaceId }, orderBy: { seq: "asc" }, select: { seq: true } });
  return rows.map((r) => r.seq);
}

/** Tampering as a superuser would: bypass the append-only trigger for one statement. */
async function tamper(sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await client.query(sql, params);
    await client.query("COMMIT");
  } finally {
    await client.end();
  }
}

describe("audit log", () => {
  it("gives 200 concurrent appends seq 1..N with no gap or duplicate, and the chain verifies", async () => {
    const { workspaceId } = await makeWorkspace();
    const before = (await seqs(workspaceId)).length; // workspace.created + member.added
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        appendAuditEvent({ workspaceId, actor: { type: "system", id: "test" }, action: "test.appended", data: { i } }),
      ),
    );
    const all = await seqs(workspaceId);
    expect(all).toEqual(Array.from({ length: before + 200 }, (_, i) => i + 1));
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: true, events: before + 200, checkpoints: 0, workspaceId });
  });

  it("serialises appends from several processes", async () => {
    const { workspaceId } = await makeWorkspace();
    const runs = await Promise.all([1, 2, 3].map(() => runScript("test/fixtures/append-audit.ts", [workspaceId, "40"])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    await Promise.all(
      Array.from({ length: 40 }, () => appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "test.appended" })),
    );
    const all = await seqs(workspaceId);
    expect(all).toEqual(Array.from({ length: 2 + 160 }, (_, i) => i + 1));
    expect((await verifyAuditChain({ workspaceId })).ok).toBe(true);
  });

  it("names the first seq whose row was changed with SQL", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 10; i++) await appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "test.appended", data: { i } });
    await tamper(`UPDATE audit_events SET data = '{"i": 999}' WHERE workspace_id = $1 AND seq = 7`, [workspaceId]);
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: false, events: 6, checkpoints: 0, brokenAt: 7, reason: "chain_broken", workspaceId });
    const all = await verifyAudit();
    expect(all.ok).toBe(false);
  });

  it("detects a deleted row in the middle of the chain and a re-linked hash", async () => {
    const { workspaceId } = await makeWorkspace();
    for (let i = 0; i < 5; i++) await appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "test.appended", data: { i } });
    await tamper("DELETE FROM audit_events WHERE workspace_id = $1 AND seq = 4", [workspaceId]);
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: false, brokenAt: 4 });

    const other = await makeWorkspace();
    await appendAuditEvent({ workspaceId: other.workspaceId, actor: { type: "system" }, action: "test.appended" });
    await tamper("UPDATE audit_events SET actor_id = 'someone-else' WHERE workspace_id = $1 AND seq = 2", [other.workspaceId]);
    expect(await verifyAuditChain({ workspaceId: other.workspaceId })).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it("refuses UPDATE and DELETE on audit rows through the normal path", async () => {
    const { workspaceId } = await makeWorkspace();
    await expect(db.$executeRaw`UPDATE audit_events SET action = 'x' WHERE workspace_id = ${workspaceId}::uuid`).rejects.toThrow(
      /append-only/,
    );
    await expect(db.$executeRaw`DELETE FROM audit_events WHERE workspace_id = ${workspaceId}::uuid`).rejects.toThrow(/append-only/);
  });

  it("stores what it hashes even for ill-formed strings, so legitimate events always verify", async () => {
    const { workspaceId } = await makeWorkspace();
    await appendAuditEvent({ workspaceId, actor: { type: "user", id: "a\udc00b" }, action: "test.appended", target: "user:\udc00x", ip: "1.2.3.4\u0000", data: { n: "a\ud800", nul: "x\u0000y", when: new Date(0), [`k\udfff`]: 1 } });
    expect(await verifyAuditChain({ workspaceId })).toMatchObject({ ok: true, events: 3 });
  });

  it("keeps secret names and token ids but never values, tokens or opaque ids", async () => {
    const { workspaceId } = await makeWorkspace();
    const linkId = "A".repeat(20) + "_-" + "b".repeat(21);
    await appendAuditEvent({ workspaceId, actor: { type: "job", id: "job-1" }, action: "credentials.served", data: { secrets: ["OPENAI_KEY"], tokenId: "0b6c6c1e-1111-4222-8333-444455556666", sessionId: linkId } });
    const row = await db.auditEvent.findFirst({ where: { workspaceId, action: "credentials.served" } });
    expect(row?.data).toEqual({ secrets: ["OPENAI_KEY"], tokenId: "0b6c6c1e-1111-4222-8333-444455556666", sessionId: "[redacted]" });
  });

  it("reports an unknown workspace as not found and an emptied chain as broken", async () => {
    await expect(verifyAudit({ workspaceId: "00000000-0000-4000-8000-000000000000" })).rejects.toMatchObject({ code: "not_found" });
    const { workspaceId } = await makeWorkspace();
    await tamper("DELETE FROM audit_events WHERE workspace_id = $1", [workspaceId]);
    expect(await verifyAuditChain({ workspaceId })).toEqual({ ok: false, events: 0, checkpoints: 0, brokenAt: 1, reason: "chain_broken", workspaceId });
  });

  it("never stores token-like or secret-valued data", async () => {
    const { workspaceId } = await makeWorkspace();
    const token = `gh_job_${"A".repeat(43)}`;
    await appendAuditEvent({ workspaceId, actor: { type: "system" }, action: "test.appended", data: { token, value: "hunter2", note: `leaked ${token}` } });
    const row = await db.auditEvent.findFirst({ where: { workspaceId, action: "test.appended" } });
    expect(JSON.stringify(row?.data)).not.toMatch(/gh_job_A|hunter2/);
  });
});
