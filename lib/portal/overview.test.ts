// The Overview's read: the member's own counts, role, accounts and sign-ins in this workspace only.
import { afterAll, describe, expect, it } from "vitest";
import { revokeJobAccess } from "@/lib/jobs/lifecycle";
import { closeLazyClients } from "@/lib/lazy";
import { makeJob, makeMember, makeWorkspace } from "@/test/factories";
import { getPortalOverview } from "./overview";
import { createPortalSession, getPortalSession } from "./sessions";

afterAll(closeLazyClients);

async function signIn(workspaceId: string, userId: string, ip: string) {
  const { id } = await createPortalSession({ workspaceId, userId, method: "link", ip });
  return (await getPortalSession(id))!;
}

describe("the portal overview", () => {
  it("counts the member's own secrets, running jobs and sessions, with role, chat account and the previous sign-in", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const m = await makeMember(workspaceId, { A: "1", B: "2", C: "3" });
    await makeMember(workspaceId, { OTHERS: "x" });
    await makeJob(workspaceId, m.telegramId, [{ secret: "A", envVar: "A" }]);
    const ended = await makeJob(workspaceId, m.telegramId);
    await revokeJobAccess({ workspaceId, userId: m.userId, jobId: ended.jobId });

    const first = await signIn(workspaceId, m.userId, "198.51.100.1");
    const firstView = await getPortalOverview({ workspaceId, userId: m.userId, session: first });
    expect(firstView.previousSignIn).toBeNull();

    const second = await signIn(workspaceId, m.userId, "198.51.100.2");
    const o = await getPortalOverview({ workspaceId, userId: m.userId, session: second });
    expect(o.counts).toEqual({ secrets: 3, runningJobs: 1, sessions: 2 });
    expect(o.role).toBe("member");
    expect(o.chatAccounts).toEqual([{ platform: "telegram", externalId: m.telegramId }]);
    expect(o.settingsAccount).toEqual({ configured: false });
    expect(o.thisSignIn).toEqual({ at: new Date(second.createdAt), method: "link" });
    expect(o.previousSignIn).toMatchObject({ method: "link", ip: "198.51.100.1" });

    const owner = await getPortalOverview({ workspaceId, userId: ownerUserId, session: await signIn(workspaceId, ownerUserId, "198.51.100.3") });
    expect(owner.role).toBe("owner");
    expect(owner.counts).toEqual({ secrets: 0, runningJobs: 0, sessions: 1 });
  });
});
