// The Activity page's read: everything about the user in this workspace, their jobs included, and nothing of
// anyone else's or of another workspace, page after page.
import { afterAll, describe, expect, it } from "vitest";
import { ACTIVITY_PAGE_SIZE } from "@/lib/audit/list";
import { db } from "@/lib/db/client";
import { serveCredentials } from "@/lib/jobs/credentials-serve";
import { rotateJobToken } from "@/lib/jobs/job-tokens";
import { getJob, revokeJobAccess } from "@/lib/jobs/lifecycle";
import { closeLazyClients } from "@/lib/lazy";
import { addMember } from "@/lib/members/membership";
import { deleteSecret, putSecret } from "@/lib/secrets/store";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { listPortalActivity } from "./activity";
import { createPortalSession } from "./sessions";

afterAll(closeLazyClients);

async function allPages(args: { workspaceId: string; userId: string }) {
  const events = [];
  let before: number | undefined;
  for (let page = 0; page < 50; page++) {
    const { events: batch, nextBefore } = await listPortalActivity({ ...args, beforeSeq: before });
    events.push(...batch);
    expect(batch.length).toBeLessThanOrEqual(ACTIVITY_PAGE_SIZE);
    if (nextBefore === null) return events;
    before = nextBefore;
  }
  throw new Error("too many pages");
}

describe("a member's activity", () => {
  it("includes their own jobs' events and never another member's or another workspace's", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const alice = await makeMember(a.workspaceId, { ALICE_KEY: "alice-value-1", ALICE_GONE: "alice-value-2" });
    const bob = await makeMember(a.workspaceId, { BOB_KEY: "bob-value" });
    const mine = { workspaceId: a.workspaceId, userId: alice.userId };

    await createPortalSession({ ...mine, method: "link", ip: "198.51.100.7" });
    const job = await makeJob(a.workspaceId, alice.telegramId, [{ secret: "ALICE_KEY", envVar: "ALICE_API_KEY" }]);
    await serveCredentials({ token: job.token, jobId: job.jobId });
    const rotated = await rotateJobToken({ token: job.token, jobId: job.jobId });
    await revokeJobAccess({ ...mine, jobId: job.jobId });
    const denied = await makeJob(a.workspaceId, alice.telegramId, [{ secret: "ALICE_GONE", envVar: "GONE" }]);
    await deleteSecret({ ...mine, name: "ALICE_GONE", actor: { type: "user", id: alice.userId } });
    await expect(serveCredentials({ token: denied.token, jobId: denied.jobId })).rejects.toMatchObject({ status: 403 });
    const expired = await makeJob(a.workspaceId, alice.telegramId);
    await db.job.update({ where: { id: expired.jobId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await getJob({ workspaceId: a.workspaceId, jobId: expired.jobId })).status).toBe("expired");

    // Bob, in the same workspace: his secret, his job, its reads, his revoke and his sign-in.
    const bobsJob = await makeJob(a.workspaceId, bob.telegramId, [{ secret: "BOB_KEY", envVar: "BOB_API_KEY" }]);
    await serveCredentials({ token: bobsJob.token, jobId: bobsJob.jobId });
    await rotateJobToken({ token: bobsJob.token, jobId: bobsJob.jobId });
    await revokeJobAccess({ workspaceId: a.workspaceId, userId: bob.userId, jobId: bobsJob.jobId });
    await createPortalSession({ workspaceId: a.workspaceId, userId: bob.userId, method: "link" });
    // Alice herself in workspace B: the same user, other events.
    await addMember({ workspaceId: b.workspaceId, identity: { platform: "telegram", externalId: alice.telegramId }, actor: { type: "system" } });
    await putSecret({ workspaceId: b.workspaceId, userId: alice.userId, name: "B_ONLY", value: "b-value", actor: { type: "user", id: alice.userId } });
    const jobInB = await makeJob(b.workspaceId, alice.telegramId, [{ secret: "B_ONLY", envVar: "B_ONLY" }]);
    await serveCredentials({ token: jobInB.token, jobId: jobInB.jobId });
    await createPortalSession({ workspaceId: b.workspaceId, userId: alice.userId, method: "link" });

    const events = await allPages(mine);
    const actions = events.map((e) => e.action);
    for (const action of [
      "member.added", "secret.created", "secret.deleted", "portal.session.created", "job.created", "credentials.served",
      "token.rotated", "job.revoked", "credentials.denied", "job.expired",
    ]) {
      expect(actions, action).toContain(action);
    }
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => y - x));
    expect(new Set(seqs).size).toBe(seqs.length);

    const text = JSON.stringify(events);
    for (const foreign of [bob.userId, bobsJob.jobId, "BOB_KEY", "BOB_API_KEY", "B_ONLY", jobInB.jobId, b.workspaceId]) {
      expect(text, foreign).not.toContain(foreign);
    }
    for (const value of ["alice-value-1", "alice-value-2", job.token, rotated.token]) expect(text).not.toContain(value);
    expect(events.find((e) => e.action === "credentials.served")?.data).toMatchObject({ secrets: ["ALICE_KEY"], envVars: ["ALICE_API_KEY"] });
    expect(events.find((e) => e.action === "token.rotated")?.data).toMatchObject({ jobId: job.jobId });

    // Every one of them is in workspace A, and is Alice's (by, about, or owned by her) — checked from the table.
    const rows = await db.auditEvent.findMany({ where: { workspaceId: a.workspaceId, seq: { in: seqs } }, select: { seq: true } });
    expect(rows).toHaveLength(seqs.length);

    // Bob sees his own and none of Alice's.
    const bobs = JSON.stringify(await allPages({ workspaceId: a.workspaceId, userId: bob.userId }));
    for (const foreign of [alice.userId, job.jobId, denied.jobId, expired.jobId, "ALICE_KEY"]) expect(bobs, foreign).not.toContain(foreign);
    expect(bobs).toContain(bobsJob.jobId);
  });

  it("pages with before= through more than a page of events, newest first, without gaps or repeats", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const other = await makeMember(workspaceId);
    for (let i = 0; i < ACTIVITY_PAGE_SIZE + 5; i++) {
      await putSecret({ workspaceId, userId: m.userId, name: `K${i}`, value: "v", actor: { type: "user", id: m.userId } });
      await putSecret({ workspaceId, userId: other.userId, name: `OTHER${i}`, value: "v", actor: { type: "user", id: other.userId } });
    }
    const first = await listPortalActivity({ workspaceId, userId: m.userId });
    expect(first.events).toHaveLength(ACTIVITY_PAGE_SIZE);
    expect(first.nextBefore).toBe(first.events.at(-1)!.seq);
    const all = await allPages({ workspaceId, userId: m.userId });
    // member.added, then one secret.created per name.
    expect(all).toHaveLength(ACTIVITY_PAGE_SIZE + 6);
    expect(all.filter((e) => e.action === "secret.created").map((e) => e.data.name)).toEqual(
      Array.from({ length: ACTIVITY_PAGE_SIZE + 5 }, (_, i) => `K${ACTIVITY_PAGE_SIZE + 4 - i}`),
    );
  });
});
