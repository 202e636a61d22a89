// What a first user tripped over in the portal (issue 8, item 6), each checked the way a person meets it: by
// mouse, by keyboard, on a phone-sized screen and without JavaScript.
import type { Locator, Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { createWorkspace } from "../../helpers/cli";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { fetchCredentials, openPortal, startJob, type Member } from "../../helpers/portal-session";
import { DESKTOP, PHONE, snap } from "../../helpers/screenshots";

const secretName = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;
const secretValue = () => `sk-live-${randomBytes(18).toString("hex")}`;

function owner(name: string): Member {
  const ws = createWorkspace(name);
  return { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId };
}

const main = (page: Page) => page.getByRole("main");
const secretRow = (page: Page, name: string) => page.getByTestId("secret-row").filter({ has: page.getByRole("heading", { name, exact: true }) });
const textSecurity = (field: Locator) => field.evaluate((el) => getComputedStyle(el).getPropertyValue("-webkit-text-security"));
const box = async (l: Locator) => {
  const b = await l.boundingBox();
  if (!b) throw new Error("not visible");
  return { x: Math.round(b.x), y: Math.round(b.y) };
};

async function addSecret(page: Page, name: string, value: string) {
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("status")).toContainText(`Saved ${name}.`);
}

test("a secret granted twice to one job is held by one job, listed with both env vars", async ({ page, request }) => {
  const member = owner("Dora Distinct");
  const name = secretName("shared");
  await openPortal(page, member);
  await addSecret(page, name, secretValue());
  const twice = await startJob(request, member, [
    { secret: name, envVar: "FIRST_KEY" },
    { secret: name, envVar: "SECOND_KEY" },
  ]);
  const once = await startJob(request, member, [{ secret: name, envVar: "ONLY_KEY" }]);
  await page.reload();
  const grants = secretRow(page, name).getByTestId("secret-grants");
  await expect(grants).toContainText("Held by 2 running jobs:");
  await expect(grants.getByRole("listitem")).toHaveCount(2);
  await expect(grants.getByRole("listitem").first()).toContainText(`as FIRST_KEY and SECOND_KEY in job ${twice.jobId.slice(0, 8)}`);
  await expect(grants.getByRole("listitem").last()).toContainText(`as ONLY_KEY in job ${once.jobId.slice(0, 8)}`);
  await secretRow(page, name).locator("summary", { hasText: "Delete" }).click();
  await expect(secretRow(page, name).getByTestId("delete-warning")).toContainText("2 running jobs hold this secret");
});

test("every Add error keeps the typed Name and never the value, without JavaScript too", async ({ browser, clientIp }, testInfo) => {
  const member = owner("Nina Name");
  const context = await browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { "X-Forwarded-For": clientIp } });
  const page = await context.newPage();
  await openPortal(page, member);
  const existing = secretName("existing");
  await addSecret(page, existing, secretValue());

  const value = secretValue();
  const cases = [
    { name: `1 ${value.slice(8, 20)}`, value, alert: "A secret name starts with a letter" },
    { name: secretName("empty"), value: "", alert: "Enter the value to store." },
    { name: existing, value, alert: "You already have a secret with this name. To change its value, use “Replace value” on it in Your secrets above." },
  ];
  for (const c of cases) {
    await page.getByLabel("Name", { exact: true }).fill(c.name);
    await page.getByLabel("Value", { exact: true }).fill(c.value);
    // An empty value is refused by the browser before it is sent; the server says the same when it gets one.
    if (!c.value) await page.getByLabel("Value", { exact: true }).evaluate((el) => el.removeAttribute("required"));
    await page.getByRole("button", { name: "Save secret" }).click();
    await expect(main(page).getByRole("alert")).toContainText(c.alert);
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue(c.name);
    await expect(page.getByLabel("Value", { exact: true })).toHaveValue("");
    expect(page.url()).not.toContain(encodeURIComponent(c.name));
    expect(page.url()).not.toContain(value.slice(8, 20));
    expect(await page.content()).not.toContain(value);
  }
  await snap(page, testInfo, "add-error-keeps-name-no-js");
  // A successful save forgets it.
  const fresh = secretName("fresh");
  await page.getByLabel("Name", { exact: true }).fill(fresh);
  await page.getByLabel("Value", { exact: true }).fill(secretValue());
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("status")).toContainText(`Saved ${fresh}.`);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");
  await context.close();
});

for (const size of [DESKTOP, PHONE]) {
  test(`opening Delete's confirmation leaves the buttons where they are at ${size.width} px`, async ({ page }, testInfo) => {
    const member = owner("Lena Layout");
    const name = secretName("layout");
    await page.setViewportSize(size);
    await openPortal(page, member);
    await addSecret(page, name, secretValue());
    const row = secretRow(page, name);
    const replace = row.locator("summary", { hasText: "Replace value" });
    const del = row.locator("summary", { hasText: "Delete" });
    const before = { replace: await box(replace), del: await box(del) };
    await del.click();
    const confirm = row.getByRole("button", { name: `Yes, delete ${name}` });
    await expect(confirm).toBeVisible();
    expect({ replace: await box(replace), del: await box(del) }).toEqual(before);
    expect((await box(confirm)).y).toBeGreaterThan(before.del.y);
    // Replace value closes the confirmation instead of stacking a second panel, and the buttons still stay put.
    await replace.click();
    await expect(row.getByLabel(`New value for ${name}`)).toBeVisible();
    await expect(confirm).toBeHidden();
    expect({ replace: await box(replace), del: await box(del) }).toEqual(before);
    await del.click();
    await snap(page, testInfo, `delete-confirm-${size.width}`);
  });
}

test("the value box is masked, and Show value reveals it by mouse, by keyboard and without JavaScript", async ({ page, browser, clientIp }) => {
  const member = owner("Mia Mask");
  await openPortal(page, member);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);
  const field = page.getByLabel("Value", { exact: true });
  const show = page.locator("#add ~ form").getByRole("checkbox", { name: "Show value" });
  await field.fill(secretValue());
  expect(await textSecurity(field)).toBe("disc");
  await expect(show).not.toBeChecked();
  await show.check();
  expect(await textSecurity(field)).toBe("none");
  await show.focus();
  await page.keyboard.press("Space");
  await expect(show).not.toBeChecked();
  expect(await textSecurity(field)).toBe("disc");
  await expect(show).toHaveAttribute("aria-controls", "new-secret-value");

  // Replace value's box is masked the same way.
  const name = secretName("masked");
  await addSecret(page, name, secretValue());
  const row = secretRow(page, name);
  await row.locator("summary", { hasText: "Replace value" }).click();
  const replacement = row.getByLabel(`New value for ${name}`);
  expect(await textSecurity(replacement)).toBe("disc");
  await row.getByRole("checkbox", { name: "Show value" }).check();
  expect(await textSecurity(replacement)).toBe("none");

  const noJs = await browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { "X-Forwarded-For": clientIp } });
  const plain = await noJs.newPage();
  await openPortal(plain, member);
  await plain.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);
  const plainField = plain.getByLabel("Value", { exact: true });
  expect(await textSecurity(plainField)).toBe("disc");
  await plain.locator("#add ~ form").getByRole("checkbox", { name: "Show value" }).check();
  expect(await textSecurity(plainField)).toBe("none");
  await noJs.close();
});

test("Revoke asks first: opening it changes nothing, confirming ends the job's access", async ({ page, request }, testInfo) => {
  const member = owner("Rob Revoke");
  const name = secretName("revoke");
  const value = secretValue();
  await openPortal(page, member);
  await addSecret(page, name, value);
  const job = await startJob(request, member, [{ secret: name, envVar: "REVOKE_ME" }]);
  const short = job.jobId.slice(0, 8);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/agent-access`);
  const card = page.getByTestId("job-row").filter({ hasText: job.jobId });
  const summary = card.locator("summary", { hasText: "Revoke access" });
  const before = await box(summary);
  await summary.click();
  const confirm = card.getByTestId("revoke-confirm");
  await expect(confirm).toContainText(`Revoke access of job ${short}?`);
  await expect(confirm).toContainText("The agent sees the job as revoked.");
  expect(await box(summary)).toEqual(before);
  await snap(page, testInfo, "revoke-confirm");
  // Only opened: the job still reads its secret.
  expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "REVOKE_ME", value }] });

  // Closing it again is the way back out.
  await summary.click();
  await expect(confirm).toBeHidden();
  await summary.focus();
  await page.keyboard.press("Enter");
  const yes = card.getByRole("button", { name: `Yes, revoke access of job ${short}` });
  await yes.focus();
  await page.keyboard.press("Enter");
  await expect(main(page).getByRole("status")).toContainText(`Access revoked for job ${short}.`);
  expect((await fetchCredentials(request, job)).status).toBe(401);
});

test("on a phone every section tab is in view and usable by keyboard, and the current one is marked", async ({ page }, testInfo) => {
  const member = owner("Tia Tabs");
  await page.setViewportSize(PHONE);
  await openPortal(page, member);
  const nav = page.getByRole("navigation", { name: "Settings" });
  const tabs = nav.getByRole("link");
  await expect(tabs).toHaveText(["Overview", "Secrets", "Connections", "Agent access", "Sessions", "Activity"]);
  for (const tab of await tabs.all()) {
    await expect(tab).toBeInViewport({ ratio: 1 });
    // Nothing is cut off: each label fits its tab.
    expect(await tab.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight + 1)).toBe(true);
  }
  expect(await nav.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await snap(page, testInfo, "tabs-390");

  await nav.getByRole("link", { name: "Overview" }).focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press("Tab");
  await expect(nav.getByRole("link", { name: "Agent access" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Agent access" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Agent access" })).toHaveAttribute("aria-current", "page");
  await expect(nav.locator("[aria-current]")).toHaveCount(1);
});

test("Skip to content is the first thing Tab reaches, shows itself, and lands in the page's content", async ({ page }) => {
  const member = owner("Sid Skip");
  await openPortal(page, member);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);
  const skip = page.getByRole("link", { name: "Skip to content" });
  // Visually hidden (Tailwind's sr-only: one clipped pixel) until it has focus.
  expect((await skip.boundingBox())?.width).toBeLessThanOrEqual(1);
  await page.keyboard.press("Tab");
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport({ ratio: 1 });
  expect((await skip.boundingBox())?.width).toBeGreaterThan(60);
  await expect(skip).toHaveCSS("outline-style", "solid");
  await page.keyboard.press("Enter");
  await expect(page.locator("main#main")).toBeFocused();
  // The next Tab goes into the page itself, past the header and the section tabs.
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => !!document.activeElement?.closest("main"))).toBe(true);
});

test("signing out says so and what to do next; the portal is closed afterwards", async ({ page }, testInfo) => {
  const member = owner("Otto Out");
  await openPortal(page, member);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/settings/signed-out`);
  await expect(page.getByRole("heading", { level: 1, name: "You are signed out" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText("ask your agent for a new settings link");
  await snap(page, testInfo, "signed-out");
  const portal = await page.goto(`${E2E_PLAIN_BASE_URL}/settings`);
  expect(portal?.status()).toBe(401);
  await expect(page.getByRole("heading", { name: "Open the settings link from your chat" })).toBeVisible();
});
