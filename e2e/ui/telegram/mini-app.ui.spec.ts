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
  await expect(page.getByRole("alert").filter({ hasText: "This sign-in" })).toHaveText("This sign-in has expired or was already used. Close and reopen the app from Telegram.");
  await expect(page).toHaveURL(/\/telegram#/);
});

test("opened outside Telegram, the page says where to open it", async ({ page }, testInfo) => {
  await page.goto("/telegram");
  await expect(page).toHaveTitle(/Telegram sign-in/);
  await expect(page.getByText("Open this page from the Telegram bot's menu button.")).toBeVisible();
  await snap(page, testInfo, "telegram-no-data");
});
