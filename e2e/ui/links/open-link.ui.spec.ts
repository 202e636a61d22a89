// A person opening settings links in a browser: straight into the portal, and through the identity provider.
import type { Page, TestInfo } from "@playwright/test";
import { createWorkspace, gatehouse, randomName, randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, settingsLinkId, test } from "../../helpers/fixtures";
import { snap } from "../../helpers/screenshots";

test("open a link → interstitial → Continue → portal; reloading the link shows the 410 page", async ({ page }, testInfo) => {
  const ws = createWorkspace("Priya Portal");
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings?s=${id}`);
  await expect(page.getByRole("heading", { name: "Open your settings" })).toBeVisible();
  await expect(page.getByText("Priya Portal")).toBeVisible();
  await snap(page, testInfo, "interstitial");

  await page.getByRole("button", { name: "Continue" }).focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/settings`);
  await expect(page.getByRole("heading", { name: "Hello, Priya Portal" })).toBeVisible();
  await expect(page.getByTestId("workspace-name")).not.toBeEmpty();
  await snap(page, testInfo, "portal-overview");

  await page.getByRole("link", { name: "Sessions" }).first().click();
  await expect(page.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await expect(page.getByText("This device")).toBeVisible();
  await snap(page, testInfo, "portal-sessions");

  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByText("You opened a settings link")).toBeVisible();
  await expect(page.getByText("Signed in to settings")).toBeVisible();
  await snap(page, testInfo, "portal-activity");

  for (const section of ["Secrets", "Connections", "Agent access"]) {
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: section }).click();
    await expect(page.getByRole("heading", { level: 1, name: section })).toBeVisible();
    // Connections (SPEC §12): no provider in this workspace yet, and the form to add an MCP server.
    if (section === "Connections") {
      await expect(page.getByText(/No providers are set up in/)).toBeVisible();
      await expect(page.getByLabel("Add MCP server")).toBeVisible();
    }
  }

  const reload = await page.goto(`${E2E_PLAIN_BASE_URL}/settings?s=${id}`);
  expect(reload?.status()).toBe(410);
  await expect(page.getByRole("heading", { name: "This link can no longer be opened" })).toBeVisible();
  await expect(page.getByText("This link has expired or was already used. Ask your agent for a new one.")).toBeVisible();
  await snap(page, testInfo, "link-expired");

  await page.goto(`${E2E_PLAIN_BASE_URL}/settings`);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("heading", { name: "You are signed out" })).toBeVisible();
  await snap(page, testInfo, "signed-out");
  const after = await page.goto(`${E2E_PLAIN_BASE_URL}/settings`);
  expect(after?.status()).toBe(401);
  await expect(page.getByRole("heading", { name: "Open the settings link from your chat" })).toBeVisible();
  await snap(page, testInfo, "signed-out-401");
});

/** Opens a link on the server with the identity provider and signs in at the dev OIDC provider as `account`. */
async function openWithIdentity(page: Page, id: string, account: "alice" | "mallory", testInfo: TestInfo, shot?: string) {
  await page.goto(`${E2E_BASE_URL}/settings?s=${id}`);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.locator("input[name=login]").fill(account);
  await page.locator("input[name=password]").fill("any password");
  if (shot) await snap(page, testInfo, `${shot}-idp-login`);
  await page.locator("button[type=submit]").click();
  const consent = page.getByRole("button", { name: "Continue" });
  // Consent is asked once per provider session and client.
  if (await consent.isVisible({ timeout: 3000 }).catch(() => false)) await consent.click();
  await page.waitForURL((url) => url.origin === E2E_BASE_URL && !url.pathname.startsWith("/api/auth"));
}

test("identity binding: first use binds, later uses verify, another account is refused and never binds", async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  // The dev provider's accounts can only be bound once per database, so this story runs as one test.
  const ws = gatehouse<{ workspaceId: string; ownerUserId: string }>("workspace", "create", "--name", randomName("oidc"), "--owner-platform", "telegram", "--owner-id", "5000000001", "--owner-name", "Alice Chat");
  const malloryChatId = randomTelegramId();
  gatehouse("member", "add", "--workspace", ws.workspaceId, "--platform", "telegram", "--id", malloryChatId, "--name", "Mallory Chat");
  const fresh = async () => (await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` } })).newPage();

  // 1. Alice's first link, signed in as alice → binds, lands in the portal.
  let page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, "5000000001"), "alice", testInfo, "bind");
  await expect(page).toHaveURL(`${E2E_BASE_URL}/settings`);
  await expect(page.getByRole("heading", { name: "Hello, Alice Chat" })).toBeVisible();
  await snap(page, testInfo, "bound-portal");
  // The provider sign-in only carried the subject: no next-auth session or pending state may remain.
  const names = (await page.context().cookies()).map((c) => c.name);
  expect(names).toContain("gh_session");
  expect(names.filter((n) => n.includes("authjs.session-token") || n === "gh_pending")).toEqual([]);
  await page.goto(`${E2E_BASE_URL}/settings/activity`);
  await expect(page.getByText("Your sign-in account was linked")).toBeVisible();
  await page.context().close();

  // 2. Alice's second link, alice again → verified, portal.
  page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, "5000000001"), "alice", testInfo);
  await expect(page.getByRole("heading", { name: "Hello, Alice Chat" })).toBeVisible();
  await page.context().close();

  // 3. A third link of Alice's, opened by mallory → 403, nothing bound, no session.
  page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, "5000000001"), "mallory", testInfo);
  await expect(page.getByRole("heading", { name: "This link was sent to a different account" })).toBeVisible();
  await snap(page, testInfo, "identity-mismatch");
  const after = await page.goto(`${E2E_BASE_URL}/settings`);
  expect(after?.status()).toBe(401);
  await page.context().close();

  // 4. Mallory's own link opened with alice's account → refused: alice's subject belongs to Alice's user.
  page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, malloryChatId), "alice", testInfo);
  await expect(page.getByRole("heading", { name: "This link was sent to a different account" })).toBeVisible();
  await page.context().close();

  // 5. Mallory's own link with mallory → binds mallory to Mallory's user (her own), never to Alice.
  page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, malloryChatId), "mallory", testInfo);
  await expect(page.getByRole("heading", { name: "Hello, Mallory Chat" })).toBeVisible();
  await page.context().close();

  // 6. And now Alice's link with mallory is still refused (mallory is bound to Mallory).
  page = await fresh();
  await openWithIdentity(page, settingsLinkId(ws.workspaceId, "5000000001"), "mallory", testInfo);
  await expect(page.getByRole("heading", { name: "This link was sent to a different account" })).toBeVisible();
  await page.context().close();
});

test("cancelling at the identity provider says so, and that the link is used up", async ({ browser }, testInfo) => {
  const ws = createWorkspace("Cyrus Cancel");
  const id = settingsLinkId(ws.workspaceId, ws.ownerTelegramId);
  const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": `10.8.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}` } });
  const page = await context.newPage();
  await page.goto(`${E2E_BASE_URL}/settings?s=${id}`);
  await page.getByRole("button", { name: "Continue" }).click();
  // An account the dev provider does not know ends the authorization with error=access_denied, as a cancel does.
  await page.locator("input[name=login]").fill("nobody-here");
  await page.locator("input[name=password]").fill("any password");
  await page.locator("button[type=submit]").click();
  await page.waitForURL((url) => url.origin === E2E_BASE_URL && url.pathname === "/settings/identity-error");
  await expect(page.getByRole("heading", { level: 1, name: "You cancelled signing in" })).toBeVisible();
  await expect(page.getByText("The settings link you opened is now used up")).toBeVisible();
  await expect(page.getByText("ask your agent for a new settings link")).toBeVisible();
  await snap(page, testInfo, "identity-cancelled");
  expect((await context.cookies()).map((c) => c.name)).not.toContain("gh_pending");

  const reload = await page.goto(`${E2E_BASE_URL}/settings?s=${id}`);
  expect(reload?.status()).toBe(410);
  await context.close();
});
