// The Telegram Mini App entry as a person sees it: opened from the bot with initData in the URL hash.
import { randomInt } from "node:crypto";
import { sign } from "@tma.js/init-data-node";
import { expect, test, type Page } from "@playwright/test";
import { gatehouse, randomName, randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_TELEGRAM_BOT_TOKEN } from "../../helpers/env";
import { snap } from "../../helpers/screenshots";

function workspace(name: string, ownerTelegramId: string) {
  return gatehouse<{ workspaceId: string; ownerUserId: string }>(
    "workspace", "create", "--name", name, "--owner-platform", "telegram", "--owner-id", ownerTelegramId, "--owner-name", "Mini App User",
  );
}

const initDataFor = (telegramId: string) => sign({ user: { id: Number(telegramId), first_name: "Mini" } }, E2E_TELEGRAM_BOT_TOKEN, new Date());

// Each test has its own client address, so rate-limit buckets never collide between tests.
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function openMiniApp(page: Page, initData: string) {
  await page.setExtraHTTPHeaders({ "X-Forwarded-For": randomIp() });
  await page.goto(`/telegram#tgWebAppData=${encodeURIComponent(initData)}`);
}

test("opening the Mini App signs a member in and lands on their settings", async ({ page }, testInfo) => {
  const telegramId = randomTelegramId();
  const name = randomName("tg");
  workspace(name, telegramId);
  await openMiniApp(page, initDataFor(telegramId));
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.locator("body")).toContainText(name);
  await snap(page, testInfo, "telegram-landing");
});

test("a member of two workspaces picks one with the keyboard", async ({ page }, testInfo) => {
  const telegramId = randomTelegramId();
  const first = randomName("tg");
  const second = randomName("tg");
  workspace(first, telegramId);
  const { workspaceId } = workspace(second, randomTelegramId());
  gatehouse("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", telegramId);

  await openMiniApp(page, initDataFor(telegramId));
  await expect(page.getByRole("heading", { name: "Choose a workspace" })).toBeFocused();
  await expect(page.getByRole("button")).toHaveText([first, second]);
  await snap(page, testInfo, "telegram-picker");

  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: second })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.locator("body")).toContainText(second);
});

test("an initData that was already used explains what to do", async ({ page, request }) => {
  const telegramId = randomTelegramId();
  workspace(randomName("tg"), telegramId);
  const initData = initDataFor(telegramId);
  const first = await request.post("/api/telegram/session", { data: { initData }, headers: { Origin: E2E_BASE_URL, "X-Forwarded-For": randomIp() } });
  expect(first.status()).toBe(200);
  await openMiniApp(page, initData);
  await expect(page.getByRole("alert").filter({ hasText: "This Telegram sign-in" })).toHaveText(
    "This Telegram sign-in has expired or was already used. Open the Mini App again from the bot.",
  );
  await expect(page).toHaveURL(/\/telegram#/);
});

test("opened outside Telegram, the page says where to open it", async ({ page }, testInfo) => {
  await page.goto("/telegram");
  await expect(page).toHaveTitle(/Telegram sign-in/);
  await expect(page.getByText("Open this page from the Telegram bot's menu button.")).toBeVisible();
  await snap(page, testInfo, "telegram-no-data");
});

test("initData with a bad signature says it could not be verified, not that it expired", async ({ page }) => {
  const telegramId = randomTelegramId();
  workspace(randomName("tg"), telegramId);
  const forged = sign({ user: { id: Number(telegramId), first_name: "Mini" } }, "999999:another-bot-token", new Date());
  await openMiniApp(page, forged);
  await expect(page.getByRole("alert").filter({ hasText: "could not be verified" })).toHaveText(
    "The Telegram sign-in data could not be verified. Open the Mini App again from the bot.",
  );
});

const background = (page: Page) => page.locator(".tg-app").evaluate((el) => getComputedStyle(el).backgroundColor);
const textColour = (page: Page) => page.getByRole("heading", { name: "Telegram sign-in" }).evaluate((el) => getComputedStyle(el).color);

test.describe("in dark mode at 390 px", () => {
  test.use({ colorScheme: "dark", viewport: { width: 390, height: 844 } });

  test("the Mini App is dark without a Telegram theme, and takes Telegram's colours when it has one", async ({ page }, testInfo) => {
    await page.goto("/telegram");
    await expect(page.getByText("Open this page from the Telegram bot's menu button.")).toBeVisible();
    expect(await background(page)).toBe("rgb(15, 23, 42)");
    expect(await textColour(page)).toBe("rgb(241, 245, 249)");
    await snap(page, testInfo, "telegram-dark-390");

    // Telegram opens the page afresh with its theme in the hash; a hash change alone reloads nothing.
    await page.goto("about:blank");
    const theme = { bg_color: "#17212b", text_color: "#f5f5f5", hint_color: "#708499", link_color: "#6ab3f3", secondary_bg_color: "#232e3c" };
    await page.goto(`/telegram#tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(theme))}&tgWebAppVersion=8.0`);
    await expect(page.getByText("Open this page from the Telegram bot's menu button.")).toBeVisible();
    await expect.poll(() => background(page)).toBe("rgb(23, 33, 43)");
    expect(await textColour(page)).toBe("rgb(245, 245, 245)");
    await snap(page, testInfo, "telegram-theme-390");
  });
});

test.describe("in light mode at 390 px", () => {
  test.use({ colorScheme: "light", viewport: { width: 390, height: 844 } });

  test("the Mini App is light, and a hostile theme value is ignored", async ({ page }, testInfo) => {
    const theme = { bg_color: "red;background:url(https://evil.example/x)", text_color: 42 };
    await page.goto(`/telegram#tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(theme))}`);
    await expect(page.getByText("Open this page from the Telegram bot's menu button.")).toBeVisible();
    expect(await background(page)).toBe("rgb(248, 250, 252)");
    expect(await textColour(page)).toBe("rgb(15, 23, 42)");
    await snap(page, testInfo, "telegram-light-390");
  });
});
