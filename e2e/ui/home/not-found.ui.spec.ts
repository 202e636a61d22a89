// A mistyped address outside /api: Gatehouse's own 404 page, not Next's unstyled default, at desktop and phone width.
import { expect, test } from "@playwright/test";
import { snap } from "../../helpers/screenshots";

for (const [label, viewport] of [
  ["1280", { width: 1280, height: 800 }],
  ["390", { width: 390, height: 844 }],
] as const) {
  test(`an unknown page is a styled 404 that says what to do next (${label} px)`, async ({ page }, testInfo) => {
    await page.setViewportSize(viewport);
    const res = await page.goto("/no-such-page/%E2%9C%93?x=1");
    expect(res?.status()).toBe(404);
    await expect(page).toHaveTitle("Page not found · Gatehouse");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("There is no page at this address");
    await expect(page.getByText("use the link your agent sends you")).toBeVisible();
    // Styled: the card has the product's border and background, not the browser's defaults.
    const card = page.getByRole("heading", { level: 1 }).locator("..");
    expect(await card.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(255, 255, 255)");
    expect(await page.locator("body").evaluate((el) => getComputedStyle(el).backgroundColor)).not.toMatch(/^rgba?\((0, 0, 0, 0|255, 255, 255)\)$/);
    const box = await card.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(viewport.width);
    await snap(page, testInfo, `not-found-${label}`);

    const home = page.getByRole("link", { name: "Go to the Gatehouse home page" });
    for (let i = 0; i < 5 && !(await home.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press("Tab");
    await expect(home).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Auth and credentials for chat-based agents");
  });
}
