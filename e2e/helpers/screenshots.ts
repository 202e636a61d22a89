import type { Page, TestInfo } from "@playwright/test";

/** Saves a full-page screenshot into the test's output (never committed). */
export async function snap(page: Page, testInfo: TestInfo, name: string) {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** The same page at desktop and phone widths (`<name>-1280.png`, `<name>-390.png`), leaving the desktop size. */
export async function snapWidths(page: Page, testInfo: TestInfo, name: string) {
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await snap(page, testInfo, `${name}-${size.width}`);
  }
}
