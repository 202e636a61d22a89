// The gateway specs' view of the chat platforms: the in-repo fakes the e2e servers deliver to (scripted and read
// over their /__fake control plane), and the buttons they recorded.
import type { APIRequestContext } from "@playwright/test";
import { slackFakeControl, telegramFakeControl } from "../../test/fakes/control";
import type { SlackCall } from "../../test/fakes/slack-api";
import type { TelegramCall } from "../../test/fakes/telegram-api";
import { bearer } from "./api-seed";
import { E2E_SLACK_FAKE_URL, E2E_SLACK_TEAM_ID, E2E_TELEGRAM_FAKE_URL } from "./env";
import { randomIp } from "./fixtures";

export const telegramFake = telegramFakeControl(E2E_TELEGRAM_FAKE_URL);
export const slackFake = slackFakeControl(E2E_SLACK_FAKE_URL);
export const SLACK_TEAM = E2E_SLACK_TEAM_ID;

export const randomGroupId = () => `-100${Math.floor(1e9 + Math.random() * 9e9)}`;
export const randomSlackUser = () => `U${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
export const randomSlackChannel = () => `C${Math.random().toString(36).slice(2, 10).toUpperCase()}`;

export type GatewayPath = "settings-link" | "integrations/connect" | "mcp-login";

/** One gateway call by a worker, on the given server (its public URL is the one the link will carry). */
export function askGateway(request: APIRequestContext, base: string, token: string, path: GatewayPath, body: Record<string, unknown> = {}) {
  return request.post(`${base}/api/v1/gateway/${path}`, { headers: { ...bearer(token), "X-Forwarded-For": randomIp() }, data: body });
}

type Button = { text: string; url?: string; web_app?: { url: string } };

/** The buttons of a recorded Telegram sendMessage. */
export function telegramButtons(call: TelegramCall): Button[] {
  const markup = call.body.reply_markup as { inline_keyboard?: Button[][] } | undefined;
  return markup?.inline_keyboard?.flat() ?? [];
}

/** The buttons of a recorded Slack chat.postEphemeral. */
export function slackButtons(call: SlackCall): { text: { text: string }; url: string }[] {
  const blocks = (call.body.blocks ?? []) as { type: string; elements?: { type: string; text: { text: string }; url: string }[] }[];
  return blocks.flatMap((b) => (b.type === "actions" ? (b.elements ?? []).filter((e) => e.type === "button") : []));
}

/** The link of a button, whichever kind. */
export const buttonUrl = (b: Button | { url: string }) => ("web_app" in b && b.web_app ? b.web_app.url : (b as { url: string }).url);

/** The link id (`s`) of a link URL. */
export const linkIdOf = (url: string) => new URL(url).searchParams.get("s") ?? "";

/** Every link any recorded call carried. */
export function linkUrlsIn(calls: (TelegramCall | SlackCall)[]): string[] {
  return calls.flatMap((c) => ("reply_markup" in c.body ? telegramButtons(c as TelegramCall) : slackButtons(c as SlackCall)).map(buttonUrl));
}
