// Admin console sessions for e2e specs, made the way real admins get them: a one-time admin link from the CLI
// (`gatehouse link admin`), opened with Continue on the server without an identity provider.
import type { Page, PlaywrightWorkerArgs } from "@playwright/test";
import { gatehouse } from "./cli";
import { E2E_PLAIN_BASE_URL } from "./env";
import { expect, randomIp } from "./fixtures";

export const SAME_ORIGIN = { Origin: E2E_PLAIN_BASE_URL } as const;

export function adminLinkId(workspaceId: string, telegramId: string): string {
  const { url } = gatehouse<{ url: string }>("link", "admin", "--workspace", workspaceId, "--platform", "telegram", "--id", telegramId);
  return new URL(url).searchParams.get("s")!;
}

/** An HTTP client holding an admin session of this owner or admin (its own client address, like a browser). */
export async function adminClient(playwright: PlaywrightWorkerArgs["playwright"], workspaceId: string, telegramId: string) {
  const ctx = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const res = await ctx.post("/settings/open", { form: { s: adminLinkId(workspaceId, telegramId) }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(res.status()).toBe(303);
  expect(res.headers()["location"]).toBe("/admin");
  return ctx;
}

/** A person opening a fresh admin link in the browser and pressing Continue. */
export async function openAdmin(page: Page, workspaceId: string, telegramId: string) {
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings?s=${adminLinkId(workspaceId, telegramId)}`);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/admin`);
}
