import { expect, test } from "@playwright/test";
import { snap } from "../../helpers/screenshots";

test("the home page renders and links to the README's next steps", async ({ page }, testInfo) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Auth and credentials for chat-based agents");
  await expect(page.getByRole("heading", { name: "Next steps" })).toBeVisible();
  await snap(page, testInfo, "home");

  const readme = page.getByRole("link", { name: "Read the README" });
  await readme.focus();
  await expect(readme).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/readme$/);
  await expect(page.locator("body")).toContainText("npm run dev");
  await expect(page.locator("body")).toContainText("npm test");
});

test("the home page's readiness link reports both dependencies", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "/api/ready" }).click();
  await expect(page.locator("body")).toContainText('"db":"ok"');
});
