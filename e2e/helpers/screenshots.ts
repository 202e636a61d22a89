import type { Page, TestInfo } from "@playwright/test";

/** Saves a full-page screenshot into the test's output (never committed). */
export async function snap(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}
