// The cross-tenant matrix for connections (SPEC §11, §12): Alice connected "corp" in workspace 1. Nobody else — Bob
// in the same workspace, Alice herself in workspace 2, Carol in workspace 2 — can have it granted, served, named,
// disconnected or reported as connected; and Alice's own job gets exactly her token.
import { bearer, createWorkspaceAsync, credentials, gatehouseAsync, issueServiceToken, openPortalSession, settingsLinkIdAsync, sql, startJob } from "../../helpers/api-seed";
import { randomTelegramId } from "../../helpers/cli";
import { addTestProvider, connectAs, connectThroughPortal } from "../../helpers/connections";
import { E2E_BASE_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";

test("another user's or workspace's connection is never granted, served, named, disconnected or reported", async ({ request, playwright }) => {
  const w1 = await createWorkspaceAsync("Alice One");
  const w2 = await createWorkspaceAsync("Carol Two");
  const bobId = randomTelegramId();
  await gatehouseAsync("member", "add", "--workspace", w1.workspaceId, "--platform", "telegram", "--id", bobId, "--name", "Bob");
  // Alice is also a member of workspace 2, under the same Telegram identity.
  await gatehouseAsync("member", "add", "--workspace", w2.workspaceId, "--platform", "telegram", "--id", w1.ownerTelegramId, "--name", "Alice");
  for (const ws of [w1, w2]) await addTestProvider(ws.workspaceId, "corp");

  const alice = await openPortalSession(playwright, await settingsLinkIdAsync(w1.workspaceId, w1.ownerTelegramId));
  expect(await connectThroughPortal(alice, "corp")).toBe("/settings/connections?connected=corp");
  const [row] = await sql<{ id: string }>("SELECT id::text FROM connections WHERE workspace_id = $1", [w1.workspaceId]);
  const connectionId = row!.id;

  const s1 = (await issueServiceToken(w1.workspaceId)).token;
  const s2 = (await issueServiceToken(w2.workspaceId)).token;
  const grant = [{ connection: "corp", envVar: "CORP_TOKEN" }];
  const missing = async (serviceToken: string, telegramId: string) => {
    const res = await request.post(`${E2E_BASE_URL}/api/v1/jobs`, { headers: bearer(serviceToken), data: { user: { platform: "telegram", id: telegramId }, grants: grant } });
    expect(res.status()).toBe(422);
    const body = (await res.json()) as { error: { code: string; details: { missing_connections: string[] } } };
    expect(body.error.code).toBe("invalid_grants");
    expect(body.error.details.missing_connections).toEqual(["corp"]);
    expect(JSON.stringify(body)).not.toContain(connectionId);
  };
  await missing(s1, bobId); // same workspace, another user
  await missing(s2, w1.ownerTelegramId); // same person, another workspace
  await missing(s2, w2.ownerTelegramId); // another workspace, another user

  // Alice's own job gets her token, and only hers; another job's token cannot read it.
  const mine = await startJob(request, s1, { user: { platform: "telegram", id: w1.ownerTelegramId }, grants: grant });
  const served = await credentials(request, mine);
  expect(served.status()).toBe(200);
  const values = (await served.json()) as { env_var: string; value: string }[];
  expect(values.map((v) => v.env_var)).toEqual(["CORP_TOKEN"]);
  expect((await connectAs.introspect(values[0]!.value)).sub).toBe("alice-sub");
  const bobsJob = await startJob(request, s1, { user: { platform: "telegram", id: bobId } });
  expect((await request.get(`${E2E_BASE_URL}/api/v1/worker/jobs/${mine.jobId}/credentials`, { headers: bearer(bobsJob.token) })).status()).toBe(401);

  // Bob's and Alice-in-workspace-2's portals neither name it nor can disconnect it.
  const bob = await openPortalSession(playwright, await settingsLinkIdAsync(w1.workspaceId, bobId));
  const aliceTwo = await openPortalSession(playwright, await settingsLinkIdAsync(w2.workspaceId, w1.ownerTelegramId));
  for (const session of [bob, aliceTwo]) {
    const page = await (await fetch(`${E2E_PLAIN_BASE_URL}/settings/connections`, { headers: { Cookie: `gh_session=${session}` } })).text();
    expect(page).toContain("Not connected");
    expect(page).not.toContain("alice@example.test");
    expect(page).not.toContain(connectionId);
    const res = await fetch(`${E2E_PLAIN_BASE_URL}/settings/connections/disconnect`, {
      method: "POST",
      headers: { Cookie: `gh_session=${session}`, Origin: E2E_PLAIN_BASE_URL, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ connectionId }),
      redirect: "manual",
    });
    expect(res.headers.get("location")).toBe("/settings/connections?error=not_found");
  }
  expect(await sql("SELECT 1 FROM connections WHERE id = $1::uuid", [connectionId])).toHaveLength(1);
  expect((await credentials(request, mine)).status()).toBe(200);
});
