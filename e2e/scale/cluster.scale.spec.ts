// Two instances (A, B) behind haproxy, on a 3-node Redis Cluster and pgbouncer in transaction mode (SPEC §14):
// whatever one instance creates, consumes or revokes holds on the other from the next request, and races split
// over both end exactly as on one. Requests go to A or B directly when a test needs to say who serves what.
import { createWorkspaceAsync, gatehouseAsync, INVALID_TOKEN, issueServiceToken, settingsLinkIdAsync, sql } from "../helpers/api-seed";
import { randomTelegramId } from "../helpers/cli";
import { addTestProvider, connectAs, connectThroughPortal } from "../helpers/connections";
import { expect, test } from "../helpers/fixtures";
import { linkIdOf, linkUrlsIn, telegramFake } from "../helpers/gateway";
import { call, initDataFor, openLink, scaleTopology, sessionSet, tally } from "./scale";

const T = scaleTopology();
const { a: A, b: B, haproxyUrl: LB } = T;
const instances = [A, B];
/** The instance for the i-th of a batch of concurrent requests: alternating, so each gets half. */
const split = (i: number) => instances[i % 2]!;

type Job = { jobId: string; token: string };

async function ownerWithToken() {
  const ws = await createWorkspaceAsync("Scale Owner");
  const { token, tokenId } = await issueServiceToken(ws.workspaceId);
  return { ws, serviceToken: token, serviceTokenId: tokenId };
}

async function startJobOn(base: string, serviceToken: string, body: Record<string, unknown>): Promise<Job> {
  const res = await call(base, "POST", "/api/v1/jobs", { bearer: serviceToken, json: body });
  expect(res.status, `start job on ${base}: ${res.text}`).toBe(201);
  return res.json<Job>();
}

/** A portal session opened on `base` through a fresh CLI link; returns the raw cookie value. */
async function portalSessionOn(base: string, workspaceId: string, telegramId: string) {
  const res = await openLink(base, await settingsLinkIdAsync(workspaceId, telegramId));
  expect(res.status, res.text).toBe(303);
  return sessionSet(res)!;
}

test("haproxy spreads requests round-robin over A and B, both ready on the cluster and pgbouncer", async () => {
  const served = await Promise.all(Array.from({ length: 10 }, () => call(LB, "GET", "/api/ready")));
  expect(tally(served.map((r) => r.status))).toEqual({ 200: 10 });
  expect(served[0]!.json()).toEqual({ db: "ok", redis: "ok" });
  const by = served.map((r) => r.headers.get("x-scale-server")).sort();
  expect(by).toEqual([...Array(5).fill("a"), ...Array(5).fill("b")]);
});

test("a link the gateway created on A is shown on A, consumed on B, and then refused on A; the session works on both", async () => {
  const { ws, serviceToken } = await ownerWithToken();
  await telegramFake.user({ id: Number(ws.ownerTelegramId) });
  const job = await startJobOn(A, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId }, delivery: { platform: "telegram", chatId: ws.ownerTelegramId } });
  const ask = await call(A, "POST", "/api/v1/gateway/settings-link", { bearer: job.token, json: {} });
  expect(ask.status, ask.text).toBe(200);
  expect(ask.json()).toMatchObject({ type: "settings_link", delivered: true, platform: "telegram" });
  const urls = linkUrlsIn(await telegramFake.calls({ chat: ws.ownerTelegramId, method: "sendMessage" }));
  expect(urls).toHaveLength(1);
  expect(new URL(urls[0]!).origin).toBe(new URL(LB).origin);
  const linkId = linkIdOf(urls[0]!);

  const page = await call(A, "GET", `/settings?s=${encodeURIComponent(linkId)}`);
  expect(page.status).toBe(200);
  expect(page.text).toContain("Continue");
  const open = await openLink(B, linkId);
  expect(open.status, open.text).toBe(303);
  expect(open.headers.get("location")).toMatch(/\/settings$/);
  const session = sessionSet(open);
  expect(session).toBeTruthy();
  const reopen = await openLink(A, linkId);
  expect(reopen.status).toBe(410);
  expect((await call(A, "GET", `/settings?s=${encodeURIComponent(linkId)}`)).status).toBe(410);
  for (const base of [A, B]) expect((await call(base, "GET", "/api/portal/secrets", { cookie: session })).status).toBe(200);
});

test("50 concurrent consumptions of one link, 25 on A and 25 on B: exactly one 303, 49 × 410", async () => {
  const { ws } = await ownerWithToken();
  const linkId = await settingsLinkIdAsync(ws.workspaceId, ws.ownerTelegramId);
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => openLink(split(i), linkId).then((r) => ({ r, base: split(i) }))));
  expect(tally(results.map((x) => x.r.status))).toEqual({ 303: 1, 410: 49 });
  const winner = results.find((x) => x.r.status === 303)!;
  const session = sessionSet(winner.r)!;
  // The other instance honours the winner's session at once.
  const other = winner.base === A ? B : A;
  expect((await call(other, "GET", "/api/portal/secrets", { cookie: session })).status).toBe(200);
  expect(new Set(results.filter((x) => x.r.status === 410).map((x) => x.r.text)).size).toBe(1);
});

test("a portal session from Telegram initData on A works on B; the same initData replayed on B is refused", async () => {
  const { ws } = await ownerWithToken();
  const initData = initDataFor(ws.ownerTelegramId);
  const first = await call(A, "POST", "/api/telegram/session", { json: { initData } });
  expect(first.status, first.text).toBe(200);
  expect(first.json()).toEqual({ redirect: "/settings" });
  const session = sessionSet(first)!;
  expect(session).toBeTruthy();
  const replay = await call(B, "POST", "/api/telegram/session", { json: { initData } });
  expect(replay.status).toBe(401);
  expect(sessionSet(replay)).toBeUndefined();

  // Written through B, read through A and through haproxy.
  const put = await call(B, "PUT", "/api/portal/secrets/SCALE_KEY", { cookie: session, json: { value: "v1" } });
  expect(put.status, put.text).toBe(201);
  for (const base of [A, LB]) {
    const list = await call(base, "GET", "/api/portal/secrets", { cookie: session });
    expect(list.status).toBe(200);
    expect(list.json<{ name: string }[]>().map((s) => s.name)).toEqual(["SCALE_KEY"]);
  }
});

test("a revocation on one instance is refused on the other at the next request (job complete, sign-out, service token revoke)", async () => {
  const { ws, serviceToken, serviceTokenId } = await ownerWithToken();
  const job = await startJobOn(A, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId } });
  // Warm both instances: each has just accepted the token and the session.
  for (const base of [A, B]) expect((await call(base, "GET", `/api/v1/worker/jobs/${job.jobId}/credentials`, { bearer: job.token })).status).toBe(204);
  const done = await call(A, "POST", `/api/v1/jobs/${job.jobId}/complete`, { bearer: serviceToken });
  expect(done.status, done.text).toBe(200);
  const refused = await call(B, "GET", `/api/v1/worker/jobs/${job.jobId}/credentials`, { bearer: job.token });
  expect(refused.status).toBe(401);
  expect(refused.json()).toEqual(INVALID_TOKEN);

  const session = await portalSessionOn(B, ws.workspaceId, ws.ownerTelegramId);
  for (const base of [A, B]) expect((await call(base, "GET", "/api/portal/secrets", { cookie: session })).status).toBe(200);
  const out = await call(A, "POST", "/settings/sign-out", { cookie: session, form: {} });
  expect(out.status).toBe(303);
  expect((await call(B, "GET", "/api/portal/secrets", { cookie: session })).status).toBe(401);

  for (const base of [A, B]) expect((await call(base, "GET", `/api/v1/jobs/${job.jobId}`, { bearer: serviceToken })).status).toBe(200);
  await gatehouseAsync("token", "revoke", "--id", serviceTokenId);
  for (const base of [A, B]) {
    const res = await call(base, "GET", `/api/v1/jobs/${job.jobId}`, { bearer: serviceToken });
    expect(res.status, base).toBe(401);
    expect(res.json()).toEqual(INVALID_TOKEN);
  }
});

test("an invite with 5 uses: 24 concurrent redemptions, 12 on A and 12 on B → exactly 5 × 201 and 19 × 410", async () => {
  const { ws, serviceToken } = await ownerWithToken();
  const { code, inviteId } = await gatehouseAsync<{ code: string; inviteId: string }>("invite", "create", "--workspace", ws.workspaceId, "--max-uses", "5");
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      call(split(i), "POST", "/api/v1/invites/redeem", { bearer: serviceToken, json: { code, user: { platform: "telegram", id: randomTelegramId() } } }),
    ),
  );
  expect(tally(results.map((r) => r.status))).toEqual({ 201: 5, 410: 19 });
  expect(new Set(results.filter((r) => r.status === 410).map((r) => r.json<{ error: { code: string } }>().error.code))).toEqual(new Set(["invite_invalid"]));
  const list = await gatehouseAsync<{ invites: { id: string; uses: number; redemptions: unknown[] }[] }>("invite", "list", "--workspace", ws.workspaceId);
  const invite = list.invites.find((i) => i.id === inviteId)!;
  expect(invite.uses).toBe(5);
  expect(invite.redemptions).toHaveLength(5);
  const [members] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM memberships WHERE workspace_id = $1", [ws.workspaceId]);
  expect(members!.n).toBe(1 + 5);
});

test("single-flight refresh across instances: 20 concurrent reads of an expiring connection, 10 on A and 10 on B → one upstream refresh", async () => {
  const { ws, serviceToken } = await ownerWithToken();
  await addTestProvider(ws.workspaceId, "corp");
  const session = await portalSessionOn(LB, ws.workspaceId, ws.ownerTelegramId);
  expect(await connectThroughPortal(session, "corp")).toBe("/settings/connections?connected=corp");
  const job = await startJobOn(B, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId }, grants: [{ connection: "corp", envVar: "CORP_TOKEN" }] });
  const read = (base: string) => call(base, "GET", `/api/v1/worker/jobs/${job.jobId}/credentials`, { bearer: job.token });
  const before = await read(A);
  expect(before.status, before.text).toBe(200);
  const oldToken = before.json<{ env_var: string; value: string }[]>()[0]!.value;

  // Due for refresh: the access token runs out in 30 s (SPEC §12: refreshed within 5 minutes of its expiry).
  const moved = await sql("UPDATE connections SET obtained_at = now() - interval '1 hour', access_expires_at = now() + interval '30 seconds' WHERE workspace_id = $1 RETURNING id", [ws.workspaceId]);
  expect(moved).toHaveLength(1);
  const refreshesBefore = (await connectAs.stats()).refreshGrants;
  const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => read(split(i))));
  expect(tally(reads.map((r) => r.status))).toEqual({ 200: 20 });
  const values = new Set(reads.map((r) => r.json<{ env_var: string; value: string }[]>()[0]!.value));
  expect(values.size).toBe(1);
  expect(values.has(oldToken)).toBe(false);
  const stats = await connectAs.stats();
  expect(stats.refreshGrants - refreshesBefore).toBe(1);
  expect(stats.refreshFailures).toBe(0);
});

test("audit appends from both instances at once stay gap-free, and `gatehouse audit verify` passes", async () => {
  const { ws, serviceToken } = await ownerWithToken();
  const session = await portalSessionOn(A, ws.workspaceId, ws.ownerTelegramId);
  expect((await call(B, "PUT", "/api/portal/secrets/API_KEY", { cookie: session, json: { value: "audit-me" } })).status).toBe(201);
  const job = await startJobOn(A, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId }, grants: [{ secret: "API_KEY", envVar: "API_KEY" }] });
  const [{ n: beforeEvents }] = (await sql<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE workspace_id = $1", [ws.workspaceId])) as [{ n: number }];

  // Each credentials read appends credentials.served; each secret write appends secret.*: 60 appends racing on A and B.
  const reads = Array.from({ length: 40 }, (_, i) => call(split(i), "GET", `/api/v1/worker/jobs/${job.jobId}/credentials`, { bearer: job.token }));
  const writes = Array.from({ length: 20 }, (_, i) => call(split(i + 1), "PUT", `/api/portal/secrets/K${i}`, { cookie: session, json: { value: `v${i}` } }));
  const [readResults, writeResults] = await Promise.all([Promise.all(reads), Promise.all(writes)]);
  expect(tally(readResults.map((r) => r.status))).toEqual({ 200: 40 });
  expect(tally(writeResults.map((r) => r.status))).toEqual({ 201: 20 });

  const rows = await sql<{ seq: number; action: string }>("SELECT seq::int AS seq, action FROM audit_events WHERE workspace_id = $1 ORDER BY seq", [ws.workspaceId]);
  expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
  expect(rows.length).toBe(beforeEvents + 60);
  expect(rows.filter((r) => r.action === "credentials.served")).toHaveLength(40);
  const verify = await gatehouseAsync<{ ok: boolean; events: number }>("audit", "verify", "--workspace", ws.workspaceId);
  expect(verify).toMatchObject({ ok: true, events: rows.length });
});
