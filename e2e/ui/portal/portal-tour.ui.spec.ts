// Every portal page at 1280 and 390 px, with data in it, as a first user sees it: screenshots for a person to
// look at (test-results/), and the text a person reads on the Overview and Activity pages.
import type { Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { createWorkspace } from "../../helpers/cli";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { fetchCredentials, openPortal, startJob, type Member } from "../../helpers/portal-session";
import { snapWidths } from "../../helpers/screenshots";

const main = (page: Page) => page.getByRole("main");
const go = async (page: Page, path: string, heading: string) => {
  await page.goto(`${E2E_PLAIN_BASE_URL}${path}`);
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
};

test("a tour of every portal page with a secret, two jobs and their activity", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const ws = createWorkspace("Tara Tour");
  const member: Member = { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId };
  const name = `openai-${randomBytes(3).toString("hex")}`;
  const value = `sk-live-${randomBytes(18).toString("hex")}`;

  await openPortal(page, member);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("status")).toContainText(`Saved ${name}.`);
  const job = await startJob(request, member, [
    { secret: name, envVar: "OPENAI_API_KEY" },
    { secret: name, envVar: "OPENAI_KEY" },
  ]);
  const other = await startJob(request, member, []);
  expect((await fetchCredentials(request, job)).status).toBe(200);
  // A second sign-in, so the Overview has a previous one to show.
  await openPortal(page, member);

  await go(page, "/settings", "Hello, Tara Tour");
  await expect(page.getByTestId("count-secrets")).toHaveText("1");
  await expect(page.getByTestId("count-running-jobs")).toHaveText("2");
  await expect(page.getByTestId("count-sessions")).toHaveText("1");
  await expect(page.getByTestId("overview-role")).toHaveText("Owner");
  await expect(page.getByTestId("overview-chat-account")).toHaveText(`Telegram ${ws.ownerTelegramId}`);
  await expect(page.getByTestId("overview-sign-in-account")).toContainText("None needed");
  await expect(page.getByTestId("overview-this-sign-in")).toContainText("with a settings link");
  await expect(page.getByTestId("overview-previous-sign-in")).toContainText(/ago|just now/);
  await snapWidths(page, testInfo, "01-overview");

  await go(page, "/settings/secrets", "Secrets");
  await expect(page.getByTestId("secret-grants")).toContainText("Held by 1 running job:");
  await snapWidths(page, testInfo, "02-secrets");
  await page.getByLabel("Name", { exact: true }).fill("2 not a name");
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("alert")).toBeVisible();
  await snapWidths(page, testInfo, "03-secrets-error");
  await page.locator("summary", { hasText: "Delete" }).click();
  await snapWidths(page, testInfo, "04-secrets-delete-confirm");

  await go(page, "/settings/agent-access", "Agent access");
  await snapWidths(page, testInfo, "05-agent-access");
  await page.getByTestId("job-row").filter({ hasText: other.jobId }).locator("summary", { hasText: "Revoke access" }).click();
  await snapWidths(page, testInfo, "06-agent-access-revoke-confirm");
  await page.getByRole("button", { name: `Yes, revoke access of job ${other.jobId.slice(0, 8)}` }).click();
  await expect(main(page).getByRole("status")).toContainText("Access revoked");

  await go(page, "/settings/activity", "Activity");
  const rows = page.getByTestId("activity-row");
  const short = job.jobId.slice(0, 8);
  await expect(rows.filter({ hasText: `You revoked the access of job ${other.jobId.slice(0, 8)}` })).toHaveCount(1);
  await expect(rows.filter({ hasText: `Job ${short} fetched ${name} as OPENAI_API_KEY and ${name} as OPENAI_KEY` })).toHaveCount(1);
  await expect(rows.filter({ hasText: `Your agent started job ${short} with access to ${name} as OPENAI_API_KEY and ${name} as OPENAI_KEY` })).toHaveCount(1);
  await expect(rows.filter({ hasText: `You added the secret ${name}` })).toHaveCount(1);
  await expect(rows.filter({ hasText: "You signed in to settings with a settings link" })).toHaveCount(2);
  // Sentences, not codes, and never a value.
  const text = await main(page).innerText();
  expect(text).not.toMatch(/\b(secret|job|credentials|portal\.session)\.[a-z]+\b/);
  expect(text).not.toContain(value);
  await snapWidths(page, testInfo, "07-activity");

  await go(page, "/settings/sessions", "Sessions");
  await snapWidths(page, testInfo, "08-sessions");
  await go(page, "/settings/connections", "Connections");
  await snapWidths(page, testInfo, "09-connections");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "You are signed out" })).toBeVisible();
  await snapWidths(page, testInfo, "10-signed-out");
});
