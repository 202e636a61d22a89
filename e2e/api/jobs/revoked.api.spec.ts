// A job its owner revoked in the portal, as the orchestrator sees it: `revoked`, never `completed`, and
// completing it afterwards is the same idempotent 200 that keeps it revoked.
import {
  API,
  bearer,
  completeJob,
  createWorkspaceAsync,
  credentials,
  expectJson,
  INVALID_TOKEN,
  ISO,
  issueServiceToken,
  openPortalSession,
  PORTAL,
  putSecret,
  SAME_ORIGIN,
  secretValue,
  sessionCookie,
  settingsLinkIdAsync,
  sql,
  startJob,
} from "../../helpers/api-seed";
import { expect, randomIp, test } from "../../helpers/fixtures";

test("the owner's revoke shows as status revoked on GET and complete, and only the revoke is audited", async ({ request, playwright }) => {
  const ws = await createWorkspaceAsync("Rita Revoke");
  const [service, linkId] = await Promise.all([issueServiceToken(ws.workspaceId), settingsLinkIdAsync(ws.workspaceId, ws.ownerTelegramId)]);
  const session = await openPortalSession(playwright, linkId);
  await putSecret(request, session, "RITA_KEY", secretValue("rita", "RITA_KEY"));
  const job = await startJob(request, service.token, { user: { platform: "telegram", id: ws.ownerTelegramId }, grants: [{ secret: "RITA_KEY", envVar: "RITA_KEY" }] });
  expect((await credentials(request, job)).status()).toBe(200);

  const revoke = await request.post(`${PORTAL}/settings/agent-access/revoke`, {
    form: { jobId: job.jobId },
    headers: { ...SAME_ORIGIN, ...sessionCookie(session), "X-Forwarded-For": randomIp() },
    maxRedirects: 0,
  });
  expect(revoke.status()).toBe(303);
  expect(revoke.headers()["location"]).toBe(`/settings/agent-access?revoked=${job.jobId}`);

  const view = await request.get(`${API}/api/v1/jobs/${job.jobId}`, { headers: bearer(service.token) });
  expect(view.status()).toBe(200);
  const revoked = (await view.json()) as Record<string, unknown>;
  expect(revoked).toMatchObject({ jobId: job.jobId, status: "revoked", ownerUserId: ws.ownerUserId, endedAt: expect.stringMatching(ISO) });

  // Completing a revoked job: 200, the job as it is (still revoked), however often and concurrently.
  expect(await completeJob(request, service.token, job.jobId)).toEqual(revoked);
  expect(await Promise.all([completeJob(request, service.token, job.jobId), completeJob(request, service.token, job.jobId)])).toEqual([revoked, revoked]);
  expect(await (await request.get(`${API}/api/v1/jobs/${job.jobId}`, { headers: bearer(service.token) })).json()).toEqual(revoked);
  await expectJson(await credentials(request, job), 401, INVALID_TOKEN, "credentials after revoke");

  const events = await sql<{ action: string; actor_type: string; actor_id: string }>(
    "SELECT action, actor_type::text, actor_id FROM audit_events WHERE target = $1 ORDER BY seq",
    [`job:${job.jobId}`],
  );
  expect(events.map((e) => e.action).filter((a) => a.startsWith("job."))).toEqual(["job.created", "job.revoked"]);
  expect(events.find((e) => e.action === "job.revoked")).toMatchObject({ actor_type: "user", actor_id: ws.ownerUserId });
});

test("a job completed by the orchestrator stays completed when its owner revokes it afterwards", async ({ request, playwright }) => {
  const ws = await createWorkspaceAsync("Carl Complete");
  const [service, linkId] = await Promise.all([issueServiceToken(ws.workspaceId), settingsLinkIdAsync(ws.workspaceId, ws.ownerTelegramId)]);
  const session = await openPortalSession(playwright, linkId);
  const job = await startJob(request, service.token, { user: { platform: "telegram", id: ws.ownerTelegramId } });
  const completed = await completeJob(request, service.token, job.jobId);
  expect(completed.status).toBe("completed");
  const revoke = await request.post(`${PORTAL}/settings/agent-access/revoke`, {
    form: { jobId: job.jobId },
    headers: { ...SAME_ORIGIN, ...sessionCookie(session), "X-Forwarded-For": randomIp() },
    maxRedirects: 0,
  });
  expect(revoke.status()).toBe(303);
  expect(await (await request.get(`${API}/api/v1/jobs/${job.jobId}`, { headers: bearer(service.token) })).json()).toEqual(completed);
});
