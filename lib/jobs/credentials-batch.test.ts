// Concurrent credential requests are handled in shared batches (the audit group commit): every request still
// gets its own answer (served, 403, 401), every decision is audited in its own workspace's chain, and the
// chains stay exact.
import { afterAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit";
import { db, onDbQuery } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { closeLazyClients } from "@/lib/lazy";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { randomBytes, randomUUID } from "node:crypto";
import { UNKNOWN_LANE } from "@/lib/tokens/lanes";
import { serveCredentials } from "./credentials-serve";

afterAll(closeLazyClients);

async function outcome(p: Promise<unknown>) {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, status: err.status };
    throw err;
  }
}

describe("credentials in batches", () => {
  it("answers and audits each of many concurrent requests of several workspaces, tokens and outcomes on its own", async () => {
    const one = await makeWorkspace();
    const two = await makeWorkspace();
    const m1 = await makeMember(one.workspaceId, { A: "a-one", B: "b-one" });
    const m2 = await makeMember(two.workspaceId, { A: "a-two" });
    const j1 = await makeJob(one.workspaceId, m1.telegramId, [{ secret: "A", envVar: "A_VAR" }, { secret: "B", envVar: "B_VAR" }]);
    const j2 = await makeJob(two.workspaceId, m2.telegramId, [{ secret: "A", envVar: "A_VAR" }]);
    const stopped = await makeJob(two.workspaceId, m2.telegramId, [{ secret: "A", envVar: "A_VAR" }]);
    await db.job.update({ where: { id: stopped.jobId }, data: { status: "completed" } });
    const before = { one: (await verifyAuditChain(one)).events, two: (await verifyAuditChain(two)).events };

    const kinds = [
      { call: () => serveCredentials({ token: j1.token, jobId: j1.jobId }), expect: { ok: true, value: [{ env_var: "A_VAR", value: "a-one" }, { env_var: "B_VAR", value: "b-one" }] } },
      { call: () => serveCredentials({ token: j2.token, jobId: j2.jobId }), expect: { ok: true, value: [{ env_var: "A_VAR", value: "a-two" }] } },
      { call: () => serveCredentials({ token: stopped.token, jobId: stopped.jobId }), expect: { ok: false, status: 403 } },
      { call: () => serveCredentials({ token: j1.token, jobId: j2.jobId }), expect: { ok: false, status: 401 } },
      { call: () => serveCredentials({ token: `gh_job_${"Q".repeat(43)}`, jobId: j1.jobId }), expect: { ok: false, status: 401 } },
    ];
    const reads: string[] = [];
    const stop = onDbQuery((sql) => {
      if (/FOR SHARE OF t/.test(sql)) reads.push(sql);
    });
    const N = 100;
    let results;
    try {
      results = await Promise.all(Array.from({ length: N }, (_, i) => outcome(kinds[i % kinds.length]!.call())));
    } finally {
      stop();
    }
    results.forEach((r, i) => expect(r, `request ${i}`).toEqual(kinds[i % kinds.length]!.expect));
    expect(reads.length).toBeLessThan(N / 2);

    const count = (workspaceId: string, action: string) => db.auditEvent.count({ where: { workspaceId, action } });
    expect(await count(one.workspaceId, "credentials.served")).toBe(N / kinds.length);
    expect(await count(one.workspaceId, "credentials.denied")).toBe(0);
    expect(await count(two.workspaceId, "credentials.served")).toBe(N / kinds.length);
    expect(await count(two.workspaceId, "credentials.denied")).toBe(N / kinds.length);
    expect(await verifyAuditChain(one)).toMatchObject({ ok: true, events: before.one + N / kinds.length });
    expect(await verifyAuditChain(two)).toMatchObject({ ok: true, events: before.two + (2 * N) / kinds.length });
  });

  it("serves another workspace's reads while 2,500 unknown tokens flood the queue: the flood is refused, they are not", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { K: "kept" });
    const job = await makeJob(workspaceId, m.telegramId, [{ secret: "K", envVar: "K_VAR" }]);
    const flood = Array.from({ length: 2500 }, () =>
      outcome(serveCredentials({ token: `gh_job_${randomBytes(32).toString("base64url")}`, jobId: randomUUID(), lane: UNKNOWN_LANE })),
    );
    const real = Array.from({ length: 50 }, () => outcome(serveCredentials({ token: job.token, jobId: job.jobId, lane: workspaceId })));
    const realResults = await Promise.all(real);
    expect(realResults).toEqual(real.map(() => ({ ok: true, value: [{ env_var: "K_VAR", value: "kept" }] })));
    const floodStatuses = (await Promise.all(flood)).map((r) => (r as { status: number }).status);
    // The first goes straight into a batch and the unknown tokens' lane holds 1,000 more; the rest are turned away
    // at once, and every one that waited got its 401.
    expect(floodStatuses.filter((s) => s === 401)).toHaveLength(1001);
    expect(floodStatuses.filter((s) => s === 503)).toHaveLength(1499);
  });
});
