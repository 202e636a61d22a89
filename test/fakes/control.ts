// Typed clients for the fakes' /__fake control plane, for tests in another process (Playwright against the e2e
// server). Same operations as the in-process handles of ./telegram-api.ts and ./slack-api.ts, over HTTP.
// `baseUrl` may be the fake's API URL (…/api/ for Slack) or its origin.
import type { CallFilter as TelegramCallFilter, TelegramCall, TelegramChatSpec, TelegramUserSpec } from "./telegram-api";
import type { CallFilter as SlackCallFilter, SlackCall, SlackChannelSpec } from "./slack-api";

/** One call to a fake's /__fake control plane: JSON in and out, any non-2xx thrown with the fake's answer. */
export async function request<T>(baseUrl: string, path: string, init?: { method: "POST"; body?: unknown }): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method: init?.method ?? "GET",
    headers: init ? { "content-type": "application/json" } : undefined,
    body: init ? JSON.stringify(init.body ?? {}) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`fake control ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

function callsPath(filter: { chat?: string | number; method?: string } = {}) {
  const q = new URLSearchParams();
  if (filter.chat !== undefined) q.set("chat", String(filter.chat));
  if (filter.method !== undefined) q.set("method", filter.method);
  return `/__fake/calls${q.size ? `?${q}` : ""}`;
}

export function telegramFakeControl(baseUrl: string) {
  return {
    user: (spec: TelegramUserSpec | TelegramUserSpec[]) => request<{ ok: true }>(baseUrl, "/__fake/telegram/users", { method: "POST", body: spec }).then(() => undefined),
    chat: (spec: TelegramChatSpec | TelegramChatSpec[]) => request<{ ok: true }>(baseUrl, "/__fake/telegram/chats", { method: "POST", body: spec }).then(() => undefined),
    calls: (filter?: TelegramCallFilter) => request<TelegramCall[]>(baseUrl, callsPath(filter)),
    reset: () => request<{ ok: true }>(baseUrl, "/__fake/reset", { method: "POST" }).then(() => undefined),
  };
}

export function slackFakeControl(baseUrl: string) {
  return {
    channel: (spec: SlackChannelSpec | SlackChannelSpec[]) => request<{ ok: true }>(baseUrl, "/__fake/slack/channels", { method: "POST", body: spec }).then(() => undefined),
    calls: (filter?: SlackCallFilter) => request<SlackCall[]>(baseUrl, callsPath(filter)),
    reset: () => request<{ ok: true }>(baseUrl, "/__fake/reset", { method: "POST" }).then(() => undefined),
  };
}

export type TelegramFakeControl = ReturnType<typeof telegramFakeControl>;
export type SlackFakeControl = ReturnType<typeof slackFakeControl>;
