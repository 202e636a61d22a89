// A person managing their secrets and their agents' access in the portal, by mouse and by keyboard.
import type { Page } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { createWorkspace } from "../../helpers/cli";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { fetchCredentials, openPortal, startJob, type Member } from "../../helpers/portal-session";
import { snap } from "../../helpers/screenshots";

const secretName = (prefix: string) => `${prefix}-${randomBytes(3).toString("hex")}`;
const secretValue = () => `sk-live-${randomBytes(18).toString("hex")}`;

function owner(name: string): Member {
  const ws = createWorkspace(name);
  return { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId };
}

async function goTo(page: Page, section: "Secrets" | "Agent access") {
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: section }).click();
  await expect(page.getByRole("heading", { level: 1, name: section })).toBeVisible();
}

/** Neither the URL, the rendered page nor the HTML the server sent contains any of these values, and every value box is empty. */
async function expectNowhere(page: Page, ...values: string[]) {
  const served = await (await page.request.get(page.url())).text();
  const rendered = await page.content();
  for (const value of values) {
    expect(page.url()).not.toContain(value);
    expect(served).not.toContain(value);
    expect(rendered).not.toContain(value);
  }
  expect(await page.locator("textarea").evaluateAll((els) => els.map((e) => (e as HTMLTextAreaElement).value).join(""))).toBe("");
}

// Scoped to the page's content: Next's route announcer is an (empty) alert region of its own.
const main = (page: Page) => page.getByRole("main");
const secretRow = (page: Page, name: string) => page.getByTestId("secret-row").filter({ has: page.getByRole("heading", { name, exact: true }) });

test("add, replace, see a job holding it, revoke the job, then delete the secret after confirming", async ({ page, request }, testInfo) => {
  const member = owner("Sam Secrets");
  const name = secretName("openai-key");
  const [first, second] = [secretValue(), secretValue()];

  await openPortal(page, member);
  await goTo(page, "Secrets");
  await expect(page.getByText("You have no secrets yet.")).toBeVisible();
  await snap(page, testInfo, "secrets-empty");

  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill(first);
  await snap(page, testInfo, "secrets-add-filled");
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("status")).toHaveText(`Saved ${name}. The value is stored encrypted and will not be shown again.`);
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/settings/secrets?saved=${name}`);
  const row = secretRow(page, name);
  await expect(row).toContainText(/Last used\s*never/);
  await expect(row).toContainText("No running job holds it.");
  await expectNowhere(page, first);
  await snap(page, testInfo, "secrets-saved");

  await row.locator("summary", { hasText: "Replace value" }).click();
  await row.getByLabel(`New value for ${name}`).fill(second);
  await row.getByRole("button", { name: `Save new value for ${name}` }).click();
  await expect(main(page).getByRole("status")).toContainText(`Saved ${name}.`);
  await expect(secretRow(page, name)).toContainText("Value replaced");
  await expectNowhere(page, first, second);

  const job = await startJob(request, member, [{ secret: name, envVar: "OPENAI_API_KEY" }]);
  await page.reload();
  const grants = secretRow(page, name).getByTestId("secret-grants");
  await expect(grants).toContainText("Held by 1 running job");
  await expect(grants).toContainText(`as OPENAI_API_KEY in job ${job.jobId.slice(0, 8)}, access ends in 1 hour`);
  await snap(page, testInfo, "secrets-held-by-job");

  expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "OPENAI_API_KEY", value: second }] });
  // The job's read is recorded as the secret's last use.
  await expect(async () => {
    await page.reload();
    await expect(secretRow(page, name)).not.toContainText(/Last used\s*never/, { timeout: 500 });
  }).toPass();
  await expectNowhere(page, first, second);

  await goTo(page, "Agent access");
  const card = page.getByTestId("job-row").filter({ hasText: job.jobId });
  await expect(card.getByRole("heading", { name: `Job ${job.jobId.slice(0, 8)}` })).toBeVisible();
  await expect(card.getByTestId("job-grant")).toHaveText(`${name} →as environment variable OPENAI_API_KEY`);
  await expect(card).toContainText(/Access ends\s*in 1 hour/);
  await snap(page, testInfo, "agent-access-running");
  await card.locator("summary", { hasText: "Revoke access" }).click();
  await card.getByRole("button", { name: `Yes, revoke access of job ${job.jobId.slice(0, 8)}` }).click();
  await expect(main(page).getByRole("status")).toContainText(`Access revoked for job ${job.jobId.slice(0, 8)}.`);
  await expect(page.getByText("No agent jobs are running for you right now.")).toBeVisible();
  await snap(page, testInfo, "agent-access-revoked");
  const afterRevoke = await fetchCredentials(request, job);
  expect(afterRevoke.status).toBe(401);

  // A second job holds it while the secret is deleted: the confirmation says that job loses access.
  const secondJob = await startJob(request, member, [{ secret: name, envVar: "OPENAI_API_KEY" }]);
  await goTo(page, "Secrets");
  await secretRow(page, name).locator("summary", { hasText: "Delete" }).click();
  const warning = secretRow(page, name).getByTestId("delete-warning");
  await expect(warning).toContainText(`1 running job holds this secret and will lose access at once: OPENAI_API_KEY in job ${secondJob.jobId.slice(0, 8)}`);
  await snap(page, testInfo, "secrets-delete-confirm");
  await page.getByRole("button", { name: `Yes, delete ${name}` }).click();
  await expect(main(page).getByRole("status")).toHaveText(`Deleted ${name}. Agents can no longer use it.`);
  await expect(page.getByTestId("secret-row")).toHaveCount(0);
  await expect(page.getByText("You have no secrets yet.")).toBeVisible();
  expect((await fetchCredentials(request, secondJob)).status).toBe(403);

  await goTo(page, "Agent access");
  const orphan = page.getByTestId("job-row").filter({ hasText: secondJob.jobId });
  await expect(orphan.getByTestId("job-grant")).toContainText("secret deleted");
  await expect(orphan).toContainText("this job can no longer fetch any credentials");
  await snap(page, testInfo, "agent-access-secret-deleted");
});

test("validation errors are shown next to the form, and nothing typed comes back in the URL or the page", async ({ page }, testInfo) => {
  const member = owner("Vera Validation");
  const value = secretValue();
  await openPortal(page, member);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);

  const badName = `1 ${value.slice(0, 12)}`;
  await page.getByLabel("Name", { exact: true }).fill(badName);
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  const alert = main(page).getByRole("alert");
  await expect(alert).toHaveText("A secret name starts with a letter and has at most 64 characters: letters, digits, underscores, dots or hyphens.");
  await expect(page.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name", { exact: true })).toHaveAccessibleDescription(/Starts with a letter.*A secret name starts with a letter/);
  // The Name field keeps what was typed, so it can be corrected; the URL never carries it, and the value is gone.
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(badName);
  expect(page.url()).not.toContain(value.slice(0, 12));
  await expectNowhere(page, value);
  await snap(page, testInfo, "secrets-invalid-name");

  const name = secretName("github-token");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("status")).toContainText(`Saved ${name}.`);
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue("");

  // Adding the same name again never overwrites it silently.
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill("another value");
  await page.getByRole("button", { name: "Save secret" }).click();
  await expect(main(page).getByRole("alert")).toContainText("You already have a secret with this name.");
  await expect(main(page).getByRole("alert")).toContainText("on it in Your secrets above");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);

  // Too large a replacement: the error shows inside that secret's open "Replace value" form.
  const row = secretRow(page, name);
  await row.locator("summary", { hasText: "Replace value" }).click();
  await row.getByLabel(`New value for ${name}`).fill("z".repeat(16 * 1024 + 1));
  await row.getByRole("button", { name: `Save new value for ${name}` }).click();
  const rowAfter = secretRow(page, name);
  await expect(rowAfter.getByRole("alert")).toHaveText("The value must be at most 16 KiB.");
  await expect(rowAfter.getByLabel(`New value for ${name}`)).toBeVisible();
  await expect(rowAfter.getByLabel(`New value for ${name}`)).toHaveAttribute("aria-invalid", "true");
  await expectNowhere(page, value, "z".repeat(64));
  await snap(page, testInfo, "secrets-value-too-large");

  await page.setViewportSize({ width: 390, height: 844 });
  await snap(page, testInfo, "secrets-mobile");
});

test("adding a secret and opening its confirmation steps work with the keyboard alone", async ({ page }, testInfo) => {
  const member = owner("Kim Keyboard");
  const name = secretName("slack-token");
  const value = secretValue();
  await openPortal(page, member);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings/secrets`);

  const focused = () => page.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName ?? "");
  for (let i = 0; i < 30 && (await focused()) !== "new-secret-name"; i++) await page.keyboard.press("Tab");
  expect(await focused()).toBe("new-secret-name");
  await expect(page.locator(":focus")).toHaveCSS("outline-style", "solid");
  await page.keyboard.type(name);
  await page.keyboard.press("Tab");
  expect(await focused()).toBe("new-secret-value");
  await page.keyboard.type(value);
  // Next comes the value box's "Show value" switch, then Save.
  await page.keyboard.press("Tab");
  await expect(page.locator("#add ~ form").getByRole("checkbox", { name: "Show value" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Save secret" })).toBeFocused();
  await snap(page, testInfo, "keyboard-save-focused");
  await page.keyboard.press("Enter");
  await expect(main(page).getByRole("status")).toContainText(`Saved ${name}.`);
  await expectNowhere(page, value);

  // Replace value, then Delete: both disclosures open with the keyboard and their buttons are reachable.
  const row = secretRow(page, name);
  const replace = row.locator("summary", { hasText: "Replace value" });
  await replace.focus();
  await page.keyboard.press("Enter");
  await expect(row.getByLabel(`New value for ${name}`)).toBeVisible();
  await page.keyboard.press("Tab");
  await expect(row.getByLabel(`New value for ${name}`)).toBeFocused();

  await row.locator("summary", { hasText: "Delete" }).focus();
  await page.keyboard.press("Space");
  const confirm = page.getByRole("button", { name: `Yes, delete ${name}` });
  await expect(confirm).toBeVisible();
  await confirm.focus();
  await expect(page.locator(":focus")).toHaveCSS("outline-style", "solid");
  await snap(page, testInfo, "keyboard-delete-confirm");
  await page.keyboard.press("Enter");
  await expect(main(page).getByRole("status")).toHaveText(`Deleted ${name}. Agents can no longer use it.`);
});
