// The admin console as its admins use it (SPEC §13): every page at 1280 and 390 px with data in it, each action a
// person takes (role change, token shown once, ending a session, revoking a job, removing a member), the keyboard
// path, and both ways in: a one-time admin link, and signing in at /admin with the identity provider.
import type { Page, TestInfo } from "@playwright/test";
import { createWorkspace, gatehouse, randomTelegramId } from "../../helpers/cli";
import { openAdmin } from "../../helpers/admin";
import { E2E_BASE_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, settingsLinkId, test } from "../../helpers/fixtures";
import { openPortal, startJob } from "../../helpers/portal-session";
import { snap, snapWidths } from "../../helpers/screenshots";

const nav = (page: Page) => page.getByRole("navigation", { name: "Admin console" });
const main = (page: Page) => page.getByRole("main");

async function go(page: Page, label: string, heading = label) {
  await nav(page).getByRole("link", { name: label }).click();
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
}

test("an owner's tour: every page, a role change, a token shown once, a session ended, a job revoked, a member removed", async ({ page, browser, request }, testInfo) => {
  test.setTimeout(150_000);
  const ws = createWorkspace("Olga Owner");
  const memberId = randomTelegramId();
  const { userId: memberUserId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", memberId, "--name", "Mia Member");
  // Mia signs in to her settings in her own browser, and an agent job runs for her.
  const mia = await browser.newPage();
  await openPortal(mia, { workspaceId: ws.workspaceId, telegramId: memberId });
  const job = await startJob(request, { workspaceId: ws.workspaceId, telegramId: memberId }, []);

  await openAdmin(page, ws.workspaceId, ws.ownerTelegramId);
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("stat-members")).toHaveText("2");
  await expect(page.getByTestId("stat-jobs")).toHaveText("1");
  await snapWidths(page, testInfo, "01-overview");

  // Members: make Mia an admin.
  await go(page, "Members");
  const miaRow = main(page).getByTestId("member-row").filter({ hasText: "Mia Member" });
  await expect(miaRow).toContainText(`telegram:${memberId}`);
  await snapWidths(page, testInfo, "02-members");
  await miaRow.getByLabel("New role for Mia Member").selectOption("admin");
  await miaRow.getByRole("button", { name: "Change role of Mia Member" }).click();
  await expect(main(page).getByRole("status")).toContainText("The role was changed.");
  await expect(main(page).getByTestId("member-row").filter({ hasText: "Mia Member" })).toContainText("admin");

  // The last owner cannot demote themselves.
  const me = main(page).getByTestId("member-row").filter({ hasText: "(you)" });
  await me.getByLabel(/New role for/).selectOption("admin");
  await me.getByRole("button", { name: /Change role of/ }).click();
  await expect(main(page).getByRole("alert")).toContainText("only owner");
  await snapWidths(page, testInfo, "03-members-last-owner");

  // Service tokens: issued, shown once, works, listed without it.
  await go(page, "Service tokens");
  await page.getByLabel("Name").fill("orchestrator (e2e)");
  await page.getByRole("button", { name: "Issue token" }).click();
  const issued = page.getByTestId("issued-token");
  await expect(issued).toContainText("shown only once");
  const token = await page.getByLabel("New service token").inputValue();
  expect(token).toMatch(/^gh_svc_[A-Za-z0-9_-]{43}$/);
  await snapWidths(page, testInfo, "04-token-issued");
  const works = await request.get(`${E2E_PLAIN_BASE_URL}/api/v1/jobs/${job.jobId}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(works.status()).toBe(200);
  await page.reload();
  await expect(main(page).getByTestId("token-row").filter({ hasText: "orchestrator (e2e)" })).toContainText("last used");
  expect(await page.content()).not.toContain(token);

  // Invites: created with its code shown once, redeemed by the orchestrator, listed with who joined, then revoked.
  await go(page, "Invites");
  await expect(main(page).getByText("No invites yet")).toBeVisible();
  await page.getByLabel("Label").fill("Design team");
  await page.getByLabel("Uses").fill("3");
  await page.getByRole("button", { name: "Create invite" }).click();
  await expect(page.getByTestId("created-invite")).toContainText("shown only once");
  const code = await page.getByLabel("New invite code").inputValue();
  expect(code).toMatch(/^gh_inv_[A-Za-z0-9_-]{43}$/);
  await snapWidths(page, testInfo, "04b-invite-created");
  const joinerId = randomTelegramId();
  const redeemed = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { code, user: { platform: "telegram", id: joinerId, name: "Jay Joiner" } },
  });
  expect(redeemed.status(), await redeemed.text()).toBe(201);
  await page.reload();
  const invite = main(page).getByTestId("invite-row").filter({ hasText: "Design team" });
  await expect(invite).toContainText("1 of 3 used");
  await invite.locator("summary", { hasText: /Redeemed by 1 person/ }).click();
  await expect(invite).toContainText("Jay Joiner");
  expect(await page.content()).not.toContain(code);
  await snapWidths(page, testInfo, "04c-invites");
  await invite.locator("summary", { hasText: "Revoke" }).click();
  await invite.getByRole("button", { name: "Revoke invite" }).click();
  await expect(main(page).getByRole("status")).toContainText("The invite was revoked.");
  await expect(main(page).getByTestId("invite-row").filter({ hasText: "Design team" })).toContainText("Revoked");
  const again = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { code, user: { platform: "telegram", id: randomTelegramId() } },
  });
  expect(again.status()).toBe(410);

  // Sessions: Mia's portal session, ended from here.
  await go(page, "Sessions");
  const miaSession = main(page).getByTestId("session-row").filter({ hasText: "Mia Member" });
  await expect(miaSession).toContainText("Settings portal");
  await expect(main(page).getByTestId("session-row").filter({ hasText: "This session" })).toContainText("Admin console");
  await snapWidths(page, testInfo, "05-sessions");
  await miaSession.locator("summary", { hasText: "End session" }).click();
  await snap(page, testInfo, "05b-sessions-confirm-1280");
  await miaSession.getByRole("button", { name: "End session" }).click();
  await expect(main(page).getByRole("status")).toContainText("The session was ended.");
  await mia.reload();
  await expect(mia.getByRole("heading", { name: "Open the settings link from your chat" })).toBeVisible();

  // Jobs: Mia's job, revoked.
  await go(page, "Jobs");
  const jobRow = main(page).getByTestId("job-row").filter({ hasText: job.jobId.slice(0, 8) });
  await expect(jobRow).toContainText("Mia Member");
  await snapWidths(page, testInfo, "06-jobs");
  await jobRow.locator("summary", { hasText: "Revoke" }).click();
  await jobRow.getByRole("button", { name: "Revoke job" }).click();
  await expect(main(page).getByRole("status")).toContainText("The job was revoked.");
  const creds = await request.get(`${E2E_PLAIN_BASE_URL}/api/v1/worker/jobs/${job.jobId}/credentials`, { headers: { Authorization: `Bearer ${job.token}` } });
  expect(creds.status()).toBe(401);
  await snapWidths(page, testInfo, "07-jobs-empty");

  // Members: remove Mia (an admin now; the owner may), with the confirmation.
  await go(page, "Members");
  const row = main(page).getByTestId("member-row").filter({ hasText: "Mia Member" });
  await row.locator("summary", { hasText: "Remove" }).click();
  await expect(row).toContainText("sessions and running jobs end at once");
  await row.getByRole("button", { name: "Remove from workspace" }).click();
  await expect(main(page).getByRole("status")).toContainText("The member was removed.");
  await expect(main(page).getByTestId("member-row")).toHaveCount(2);
  const list = gatehouse<{ members: { userId: string }[] }>("member", "list", "--workspace", ws.workspaceId);
  expect(list.members.map((m) => m.userId)).not.toContain(memberUserId);

  // Audit: what just happened, filtered, exported with progress.
  await go(page, "Audit log");
  await expect(page.getByTestId("chain-status")).toContainText("Intact");
  await expect(main(page).getByTestId("audit-row").first()).toBeVisible();
  await expect(main(page).getByText("Member removed").first()).toBeVisible();
  await snapWidths(page, testInfo, "09-audit");
  await page.getByLabel("Action").fill("member.*");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/action=member\.\*/);
  const rows = main(page).getByTestId("audit-row");
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allInnerTexts()) expect(text).toMatch(/member\./);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: /^Export \d+ events$/ }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^audit-.*\.ndjson$/);
  await expect(page.getByTestId("export-progress")).toContainText("Done:");
  await snapWidths(page, testInfo, "10-audit-filtered-exported");
  await page.getByLabel("Action").fill("not an action!");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(main(page).getByRole("alert")).toContainText("These filters could not be used");

  // Overview again, now with history.
  await go(page, "Overview");
  await expect(page.getByTestId("overview-chain")).toContainText("Intact");
  await snapWidths(page, testInfo, "11-overview-history");

  // Sign out: the next visit is the sign-in page.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to the admin console" })).toBeVisible();
  await snapWidths(page, testInfo, "08-signed-out");
});

test("keyboard only: skip link, navigation and a confirmed action", async ({ page }) => {
  const ws = createWorkspace("Kim Keys");
  const other = randomTelegramId();
  gatehouse("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", other, "--name", "Kai Keys");
  await openAdmin(page, ws.workspaceId, ws.ownerTelegramId);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();
  await page.goto(`${E2E_PLAIN_BASE_URL}/admin/members`);
  const row = main(page).getByTestId("member-row").filter({ hasText: "Kai Keys" });
  await row.locator("summary", { hasText: "Remove" }).focus();
  await page.keyboard.press("Enter");
  await row.getByRole("button", { name: "Remove from workspace" }).focus();
  await page.keyboard.press("Enter");
  await expect(main(page).getByRole("status")).toContainText("The member was removed.");
});

test("an admin sees no owner-only actions, and is signed out the moment the role goes", async ({ page }, testInfo) => {
  const ws = createWorkspace("Rita Roles");
  const adminId = randomTelegramId();
  const { userId } = gatehouse<{ userId: string }>("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", adminId, "--name", "Ari Admin", "--role", "admin");
  await openAdmin(page, ws.workspaceId, adminId);
  // An admin sees no owner-only actions.
  await page.goto(`${E2E_PLAIN_BASE_URL}/admin/members`);
  const owner = main(page).getByTestId("member-row").filter({ hasText: "Rita Roles" });
  await expect(owner.getByRole("button", { name: /Change role/ })).toHaveCount(0);
  await expect(owner.locator("summary", { hasText: "Remove" })).toHaveCount(0);
  await expect(main(page).getByText("Hand over ownership")).toHaveCount(0);

  gatehouse("member", "role", "--workspace", ws.workspaceId, "--user", userId, "--role", "member");
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in to the admin console" })).toBeVisible();
  await snapWidths(page, testInfo, "role-gone-401");
  // A plain member cannot even get an admin link.
  expect(() => gatehouse("link", "admin", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", adminId)).toThrow(/"code":"forbidden"/);
});

/** Signs in at the dev OIDC provider (the page is on its login form). */
async function idpLogin(page: Page, account: string, testInfo: TestInfo, shot?: string) {
  await page.locator("input[name=login]").fill(account);
  await page.locator("input[name=password]").fill("any password");
  if (shot) await snap(page, testInfo, shot);
  await page.locator("button[type=submit]").click();
  const consent = page.getByRole("button", { name: "Continue" });
  if (await consent.isVisible({ timeout: 3000 }).catch(() => false)) await consent.click();
  await page.waitForURL((url) => url.origin === E2E_BASE_URL && !url.pathname.startsWith("/api/"));
}

test("sign in at /admin with the identity provider: a bound owner gets in; a bound member and an unbound account get the 403 page", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  // carol and dave are bound only here (one binding per provider account and database).
  const ws = createWorkspace("Carol Chat");
  const daveId = randomTelegramId();
  gatehouse("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", daveId, "--name", "Dave Chat");
  const fresh = async () => (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` } })).newPage();

  // Binding happens only through a settings link (first use).
  for (const [chatId, account] of [[ws.ownerTelegramId, "carol"], [daveId, "dave"]] as const) {
    const page = await fresh();
    await page.goto(`${E2E_BASE_URL}/settings?s=${settingsLinkId(ws.workspaceId, chatId)}`);
    await page.getByRole("button", { name: "Continue" }).click();
    await idpLogin(page, account, testInfo);
    await expect(page).toHaveURL(`${E2E_BASE_URL}/settings`);
    await page.context().close();
  }

  let page = await fresh();
  const res = await page.goto(`${E2E_BASE_URL}/admin`);
  expect(res?.status()).toBe(401);
  await expect(page.getByRole("heading", { name: "Sign in to the admin console" })).toBeVisible();
  await snapWidths(page, testInfo, "admin-sign-in");
  await page.getByRole("button", { name: /^Sign in with/ }).click();
  await idpLogin(page, "carol", testInfo);
  await expect(page).toHaveURL(`${E2E_BASE_URL}/admin`);
  await expect(page.getByTestId("workspace-name")).toHaveText(/.+/);
  const names = (await page.context().cookies()).map((c) => c.name);
  expect(names).toContain("gh_admin");
  // The sign-in only carried the subject: no next-auth session remains, and no portal session was made.
  expect(names.filter((n) => n.includes("session-token") || n === "gh_session")).toEqual([]);
  await page.context().close();

  for (const account of ["dave", "mallory"]) {
    page = await fresh();
    await page.goto(`${E2E_BASE_URL}/admin`);
    await page.getByRole("button", { name: /^Sign in with/ }).click();
    await idpLogin(page, account, testInfo);
    await expect(page.getByRole("heading", { name: "The admin console is for owners and admins" })).toBeVisible();
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("gh_admin");
    await page.context().close();
  }
});
