// The admin console's HTTP contract (SPEC §13): 401 without a session, the origin check on every change, the
// admin cookie only from an admin link, role re-checked on each request, nothing of another workspace reachable,
// and no token but a new service token, once.
import { createWorkspace, gatehouse, randomTelegramId } from "../../helpers/cli";
import { adminClient, adminLinkId, SAME_ORIGIN } from "../../helpers/admin";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, randomIp, sha256, test } from "../../helpers/fixtures";
import { portalClient } from "../../helpers/portal-session";

const EVIL = { Origin: "https://evil.example" } as const;

test("without an admin session: /admin is the 401 sign-in page, the JSON API a 401 in the error shape", async ({ request }) => {
  const page = await request.get(`${E2E_PLAIN_BASE_URL}/admin`, { maxRedirects: 0 });
  expect(page.status()).toBe(401);
  expect(page.headers()["cache-control"]).toContain("no-store");
  expect(await page.text()).toContain("Sign in to the admin console");
  for (const path of ["/admin/members", "/admin/audit", "/admin/tokens"]) expect((await request.get(`${E2E_PLAIN_BASE_URL}${path}`)).status()).toBe(401);
  const api = await request.get(`${E2E_PLAIN_BASE_URL}/api/admin/tokens`);
  expect(api.status()).toBe(401);
  expect(await api.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
});

test("a portal session is not an admin session, even an owner's", async ({ playwright }) => {
  const ws = createWorkspace();
  const portal = await portalClient(playwright, { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId });
  expect((await portal.get("/settings")).status()).toBe(200);
  expect((await portal.get("/admin")).status()).toBe(401);
  expect((await portal.get("/api/admin/tokens")).status()).toBe(401);
});

test("an admin link sets gh_admin (never gh_session) and lands on /admin; it opens once", async ({ playwright }) => {
  const ws = createWorkspace();
  const id = adminLinkId(ws.workspaceId, ws.ownerTelegramId);
  const ctx = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const interstitial = await ctx.get(`/settings?s=${id}`);
  expect(await interstitial.text()).toContain("Open the admin console");
  const opened = await ctx.post("/settings/open", { form: { s: id }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(opened.status()).toBe(303);
  expect(opened.headers()["location"]).toBe("/admin");
  const cookies = opened.headersArray().filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value);
  expect(cookies.some((c) => /^gh_admin=[A-Za-z0-9_-]{43};/.test(c) && /HttpOnly/i.test(c) && /SameSite=Lax/i.test(c))).toBe(true);
  expect(cookies.some((c) => c.startsWith("gh_session="))).toBe(false);
  expect((await ctx.get("/admin")).status()).toBe(200);
  expect((await ctx.get("/settings")).status()).toBe(401);
  const again = await ctx.post("/settings/open", { form: { s: id }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(again.status()).toBe(410);
});

test("every change needs our own origin: a cross-site post changes nothing", async ({ playwright }) => {
  const ws = createWorkspace();
  const other = randomTelegramId();
  const { userId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", other);
  const admin = await adminClient(playwright, ws.workspaceId, ws.ownerTelegramId);
  const posts: [string, Record<string, string>][] = [
    ["/admin/members/role", { user: userId, role: "admin" }],
    ["/admin/members/remove", { user: userId }],
    ["/admin/members/handover", { user: userId }],
    ["/admin/sign-out", {}],
  ];
  for (const [path, form] of posts) {
    const res = await admin.post(path, { form, headers: EVIL, maxRedirects: 0 });
    expect(res.status(), path).toBe(403);
  }
  const api = await admin.post("/api/admin/tokens", { data: {}, headers: EVIL });
  expect(api.status()).toBe(403);
  expect((await api.json()).error.code).toBe("cross_origin");
  const { members } = gatehouse<{ members: { userId: string; role: string }[] }>("member", "list", "--workspace", ws.workspaceId);
  expect(members.find((m) => m.userId === userId)?.role).toBe("member");
  expect((await admin.get("/admin")).status()).toBe(200);
});

test("losing the admin role or the membership ends the admin's sessions at once", async ({ playwright }) => {
  const ws = createWorkspace();
  const adminId = randomTelegramId();
  const { userId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", adminId, "--role", "admin");
  const admin = await adminClient(playwright, ws.workspaceId, adminId);
  expect((await admin.get("/api/admin/tokens")).status()).toBe(200);
  gatehouse("member", "role", "--workspace", ws.workspaceId, "--user", userId, "--role", "member");
  expect((await admin.get("/api/admin/tokens")).status()).toBe(401);
  // Ended, not merely refused: the role coming back does not revive the session.
  gatehouse("member", "role", "--workspace", ws.workspaceId, "--user", userId, "--role", "admin");
  expect((await admin.get("/api/admin/tokens")).status()).toBe(401);

  const again = await adminClient(playwright, ws.workspaceId, adminId);
  gatehouse("member", "remove", "--workspace", ws.workspaceId, "--user", userId);
  expect((await again.get("/admin")).status()).toBe(401);
});

test("admins act only on their own workspace: another workspace's session, token, job or member is not found", async ({ playwright, request }) => {
  const a = createWorkspace();
  const b = createWorkspace();
  const bMember = randomTelegramId();
  const { userId: bUser } = gatehouse<{ userId: string }>("member", "add", "--workspace", b.workspaceId, "--platform", "telegram", "--id", bMember);
  const bPortal = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const { url } = gatehouse<{ url: string }>("link", "settings", "--workspace", b.workspaceId, "--platform", "telegram", "--id", bMember);
  const sid = new URL(url).searchParams.get("s")!;
  const opened = await bPortal.post("/settings/open", { form: { s: sid }, headers: SAME_ORIGIN, maxRedirects: 0 });
  const cookie = opened.headers()["set-cookie"]!.match(/gh_session=([^;]+)/)![1]!;
  const { tokenId: bToken, token: bTokenValue } = gatehouse<{ tokenId: string; token: string }>("token", "issue", "--workspace", b.workspaceId, "--kind", "service");
  const job = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/jobs`, { headers: { Authorization: `Bearer ${bTokenValue}` }, data: { user: { platform: "telegram", id: bMember } } });
  const { jobId } = (await job.json()) as { jobId: string };

  const aAdmin = await adminClient(playwright, a.workspaceId, a.ownerTelegramId);
  const tries: [string, Record<string, string>, string][] = [
    ["/admin/sessions/end", { kind: "portal", ref: sha256(cookie) }, "/admin/sessions?error=not_found"],
    ["/admin/tokens/revoke", { token: bToken }, "/admin/tokens?error=not_found"],
    ["/admin/jobs/revoke", { job: jobId }, "/admin/jobs?error=not_found"],
    ["/admin/members/remove", { user: bUser }, "/admin/members?error=not_found"],
    ["/admin/members/role", { user: bUser, role: "admin" }, "/admin/members?error=not_found"],
  ];
  for (const [path, form, location] of tries) {
    const res = await aAdmin.post(path, { form, headers: SAME_ORIGIN, maxRedirects: 0 });
    expect(res.status(), path).toBe(303);
    expect(res.headers()["location"], path).toBe(location);
  }
  // B's things all still work.
  expect((await bPortal.get("/settings")).status()).toBe(200);
  expect((await request.get(`${E2E_PLAIN_BASE_URL}/api/v1/jobs/${jobId}`, { headers: { Authorization: `Bearer ${bTokenValue}` } })).status()).toBe(200);
  expect(gatehouse<{ members: { userId: string; role: string }[] }>("member", "list", "--workspace", b.workspaceId).members.find((m) => m.userId === bUser)?.role).toBe("member");
  // A's pages never name B's member.
  for (const path of ["/admin/members", "/admin/sessions", "/admin/jobs", "/admin/tokens"]) expect(await (await aAdmin.get(path)).text()).not.toContain(bUser);
});

test("a service token from the console: 201 with the token once; the list never has it, nor any hash", async ({ playwright, request }) => {
  const ws = createWorkspace();
  const admin = await adminClient(playwright, ws.workspaceId, ws.ownerTelegramId);
  const bad = await admin.post("/api/admin/tokens", { data: { name: "x", extra: 1 }, headers: SAME_ORIGIN });
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error.code).toBe("validation_failed");
  const res = await admin.post("/api/admin/tokens", { data: { name: "orchestrator", ttlDays: 7 }, headers: SAME_ORIGIN });
  expect(res.status()).toBe(201);
  expect(res.headers()["cache-control"]).toContain("no-store");
  const issued = (await res.json()) as { tokenId: string; token: string; expiresAt: string };
  expect(issued.token).toMatch(/^gh_svc_[A-Za-z0-9_-]{43}$/);
  expect(Date.parse(issued.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86400_000);
  const listed = await (await admin.get("/api/admin/tokens")).text();
  expect(listed).not.toContain(issued.token);
  expect(listed).not.toContain(sha256(issued.token));
  expect(JSON.parse(listed).tokens[0]).toEqual({ tokenId: issued.tokenId, name: "orchestrator", createdAt: expect.any(String), expiresAt: issued.expiresAt, lastUsedAt: null, revokedAt: null });
  const page = await (await admin.get("/admin/tokens")).text();
  expect(page).not.toContain(issued.token);
  // Revoked from the console: refused at once.
  const revoke = await admin.post("/admin/tokens/revoke", { form: { token: issued.tokenId }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(revoke.headers()["location"]).toBe("/admin/tokens?done=revoked");
  expect((await request.get(`${E2E_PLAIN_BASE_URL}/api/v1/jobs/00000000-0000-4000-8000-000000000000`, { headers: { Authorization: `Bearer ${issued.token}` } })).status()).toBe(401);
});

test("an admin (not an owner) is refused every owner-only action by the server, whatever the page shows", async ({ playwright }) => {
  const ws = createWorkspace();
  const adminId = randomTelegramId();
  const { userId: adminUser } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", adminId, "--role", "admin");
  const { userId: otherAdmin } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", randomTelegramId(), "--role", "admin");
  const { userId: member } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", randomTelegramId());
  const admin = await adminClient(playwright, ws.workspaceId, adminId);
  const refused: [string, Record<string, string>][] = [
    ["/admin/members/role", { user: member, role: "admin" }],
    ["/admin/members/role", { user: member, role: "owner" }],
    ["/admin/members/role", { user: otherAdmin, role: "member" }],
    ["/admin/members/role", { user: ws.ownerUserId, role: "admin" }],
    ["/admin/members/remove", { user: otherAdmin }],
    ["/admin/members/remove", { user: ws.ownerUserId }],
    ["/admin/members/handover", { user: adminUser }],
    ["/admin/members/handover", { user: member }],
  ];
  for (const [path, form] of refused) {
    const res = await admin.post(path, { form, headers: SAME_ORIGIN, maxRedirects: 0 });
    expect(res.status(), `${path} ${JSON.stringify(form)}`).toBe(303);
    expect(res.headers()["location"], `${path} ${JSON.stringify(form)}`).toBe("/admin/members?error=forbidden");
  }
  const roles = Object.fromEntries(gatehouse<{ members: { userId: string; role: string }[] }>("member", "list", "--workspace", ws.workspaceId).members.map((m) => [m.userId, m.role]));
  expect(roles).toEqual({ [ws.ownerUserId]: "owner", [adminUser]: "admin", [otherAdmin]: "admin", [member]: "member" });
  // What an admin may do: remove a plain member.
  const ok = await admin.post("/admin/members/remove", { form: { user: member }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(ok.headers()["location"]).toBe("/admin/members?done=removed");
});

test("an admin link opened after its admin was demoted opens nothing: the 403 page, no session", async ({ playwright }) => {
  const ws = createWorkspace();
  const adminId = randomTelegramId();
  const { userId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", adminId, "--role", "admin");
  const id = adminLinkId(ws.workspaceId, adminId);
  gatehouse("member", "role", "--workspace", ws.workspaceId, "--user", userId, "--role", "member");
  const ctx = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const res = await ctx.post("/settings/open", { form: { s: id }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(res.status()).toBe(403);
  expect(await res.text()).toContain("The admin console is for owners and admins");
  expect(res.headers()["set-cookie"] ?? "").not.toContain("gh_admin=");
  expect((await ctx.get("/admin")).status()).toBe(401);
});

test("the audit export streams the workspace's own log: NDJSON that verifies offline, CSV for spreadsheets, refusals as pages", async ({ playwright }) => {
  const ws = createWorkspace();
  gatehouse("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", randomTelegramId(), "--name", "=HYPERLINK(\"x\")");
  gatehouse("audit", "checkpoint", "--workspace", ws.workspaceId);
  const admin = await adminClient(playwright, ws.workspaceId, ws.ownerTelegramId);
  const ndjson = await admin.get("/admin/audit/export?format=ndjson");
  expect(ndjson.status()).toBe(200);
  expect(ndjson.headers()["content-type"]).toContain("application/x-ndjson");
  expect(ndjson.headers()["content-disposition"]).toMatch(/^attachment; filename="audit-.*\.ndjson"$/);
  expect(ndjson.headers()["cache-control"]).toContain("no-store");
  const lines = (await ndjson.text()).trim().split("\n").map((l) => JSON.parse(l) as { type: string; workspaceId?: string; seq?: number });
  const events = lines.filter((l) => l.type === "event");
  expect(Number(ndjson.headers()["x-audit-events"])).toBe(events.length);
  expect(new Set(events.map((e) => e.workspaceId))).toEqual(new Set([ws.workspaceId]));
  expect(lines.some((l) => l.type === "checkpoint")).toBe(true);

  const csv = await admin.get("/admin/audit/export?format=csv&action=member.*");
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text.split("\n")[0]).toContain("seq");
  expect(text).not.toMatch(/(^|,)=HYPERLINK/m);

  for (const bad of ["format=xml", "action=%3Cscript%3E", "from=yesterday", "nope=1", "from=0000-01-01", "to=0001-01-01T00:00:00%2B01:00"]) {
    const res = await admin.get(`/admin/audit/export?${bad}`);
    expect(res.status(), bad).toBe(400);
    expect(res.headers()["content-type"], bad).toContain("text/html");
  }
  // The page says what was wrong with the filters, and never fails.
  const page = await admin.get("/admin/audit?from=0000-01-01");
  expect(page.status()).toBe(200);
  expect(await page.text()).toContain("These filters could not be used");
  // Another workspace's admin exports only their own.
  const other = createWorkspace();
  const theirs = await adminClient(playwright, other.workspaceId, other.ownerTelegramId);
  expect(await (await theirs.get("/admin/audit/export")).text()).not.toContain(ws.workspaceId);
  const anonymous = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL });
  expect((await anonymous.get("/admin/audit/export")).status()).toBe(401);
});
