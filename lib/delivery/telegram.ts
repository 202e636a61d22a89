import "server-only";
import { autoRetry } from "@grammyjs/auto-retry";
import { Api, GrammyError, HttpError } from "grammy";
import type { InlineKeyboardButton } from "grammy/types";
import { getConfig } from "../config";
import { isTelegramId } from "../identity/platform";
import { noteCall, retryAfter } from "./report";
import type { DeliveryFailure, DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";

export const TELEGRAM_TIMEOUT_SECONDS = 5;

type TelegramTarget = Extract<DeliveryTarget, { platform: "telegram" }>;
type Method = "getChat" | "getChatMember" | "sendMessage";
/** What we keep of a failed call: never its description (it can hold the link), only what the rules need. */
type Failure = { code: number | "timeout" | "network" | "unexpected"; chatNotFound: boolean; retryAfter?: number };
type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

const apis = new Map<string, Api>();

/** One client per token (and API root) per process. Send-only: no Bot, so nothing here can call getUpdates. */
function telegramApi(token: string, apiRoot: string): Api {
  const key = `${apiRoot}\n${token}`;
  let api = apis.get(key);
  if (!api) {
    api = new Api(token, { apiRoot, timeoutSeconds: TELEGRAM_TIMEOUT_SECONDS, fetch: globalThis.fetch });
    // auto-retry only for a short 429, once. Its other retries must be off: it retries every HttpError (network
    // error, our 5 s timeout) without limit, maxRetryAttempts does not bound that loop, and it backs off 3 s
    // before retrying a 5xx.
    api.config.use(autoRetry({ maxRetryAttempts: 1, maxDelaySeconds: 2, rethrowHttpErrors: true, rethrowInternalServerErrors: true }));
    apis.set(key, api);
  }
  return api;
}

async function call<T>(run: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    if (err instanceof GrammyError) {
      return { ok: false, failure: { code: err.error_code, chatNotFound: err.error_code === 400 && /chat not found/i.test(err.description), retryAfter: err.parameters.retry_after } };
    }
    if (err instanceof HttpError) {
      const timedOut = err.error instanceof Error && (err.error.name === "AbortError" || /timed out/i.test(err.error.message));
      return { ok: false, failure: { code: timedOut ? "timeout" : "network", chatNotFound: false } };
    }
    // Transformers and fetch shims may throw anything; it is still the platform call that failed.
    return { ok: false, failure: { code: "unexpected", chatNotFound: false } };
  }
}

function fail(method: Method, failure: Failure, reason: DeliveryFailure): DeliveryOutcome {
  noteCall({ platform: "telegram", method, error: failure.code, outcome: reason });
  return reason === "rate_limited"
    ? { delivered: false, platform: "telegram", reason, retryAfterSeconds: retryAfter(failure.retryAfter) }
    : { delivered: false, platform: "telegram", reason };
}

/** 429 is rate_limited at every step; `refused` maps the step's own refusals; the rest is platform_unavailable. */
function failWith(method: Method, failure: Failure, refused: (f: Failure) => DeliveryFailure | undefined): DeliveryOutcome {
  if (failure.code === 429) return fail(method, failure, "rate_limited");
  return fail(method, failure, refused(failure) ?? "platform_unavailable");
}

const MEMBER_STATUSES = new Set(["creator", "administrator", "member"]);

/**
 * Telegram takes web_app URLs only over https; in plain-http development the button is an ordinary link. A web_app
 * button opens inside Telegram, which signs who opened it, so such a link can demand that proof (lib/flows).
 */
export function telegramOpensInWebApp(publicUrl: string): boolean {
  return publicUrl.startsWith("https:");
}

// Job creation checks the same rule (lib/identity/platform), so a job that exists never fails here.
function telegramId(value: string, what: string, sign: "positive" | "any"): number {
  const ok = sign === "positive" ? isTelegramId(value, "positive") : isTelegramId(value, "positive") || isTelegramId(value, "negative");
  if (!ok) throw new TypeError(`${what} is not a Telegram id`);
  return Number(value);
}

export async function deliverTelegram(target: TelegramTarget, message: LinkMessage): Promise<DeliveryOutcome> {
  const { telegram, publicUrl } = getConfig();
  const chatId = telegramId(target.chatId, "delivery chatId", "any");
  const threadId = target.threadId === undefined ? undefined : telegramId(target.threadId, "delivery threadId", "positive");
  // An identity stored under an older, looser rule names nobody Telegram knows: not the owner's chat, not a 500.
  const ownerId = target.ownerTelegramId !== null && isTelegramId(target.ownerTelegramId, "positive") ? Number(target.ownerTelegramId) : null;
  if (!telegram.botToken) {
    noteCall({ platform: "telegram", method: "sendMessage", error: "not_configured", outcome: "platform_unavailable" });
    return { delivered: false, platform: "telegram", reason: "platform_unavailable" };
  }
  if (ownerId === null) return { delivered: false, platform: "telegram", reason: "chat_not_owned" };
  const api = telegramApi(telegram.botToken, telegram.apiRoot);

  const button: InlineKeyboardButton = telegramOpensInWebApp(publicUrl)
    ? { text: message.buttonLabel, web_app: { url: message.url } }
    : { text: message.buttonLabel, url: message.url };
  const sendToOwner = (thread?: number) =>
    call(() =>
      api.sendMessage(ownerId, message.text, {
        reply_markup: { inline_keyboard: [[button]] },
        link_preview_options: { is_disabled: true },
        ...(thread !== undefined ? { message_thread_id: thread } : {}),
      }),
    );
  const startBot = (f: Failure): DeliveryFailure | undefined => (f.code === 403 || f.chatNotFound ? "user_must_start_bot" : undefined);

  if (chatId > 0) {
    if (chatId !== ownerId) return { delivered: false, platform: "telegram", reason: "chat_not_owned" };
    const sent = await sendToOwner(threadId);
    return sent.ok ? { delivered: true, platform: "telegram" } : failWith("sendMessage", sent.failure, startBot);
  }

  const chat = await call(() => api.getChat(chatId));
  // 400/403: the bot is not in that chat (never added, or removed), so it is not a place we can deliver to.
  if (!chat.ok) return failWith("getChat", chat.failure, (f) => (f.code === 400 || f.code === 403 ? "unsupported_chat" : undefined));
  if (chat.value.type !== "group" && chat.value.type !== "supergroup") return { delivered: false, platform: "telegram", reason: "unsupported_chat" };

  const member = await call(() => api.getChatMember(chatId, ownerId));
  if (!member.ok) return failWith("getChatMember", member.failure, (f) => (f.code === 400 ? "chat_not_owned" : f.code === 403 ? "unsupported_chat" : undefined));
  const m = member.value;
  if (!(MEMBER_STATUSES.has(m.status) || (m.status === "restricted" && m.is_member))) return { delivered: false, platform: "telegram", reason: "chat_not_owned" };

  // The link goes to the owner's private chat only, without the group's thread; the group learns nothing if that fails.
  const sent = await sendToOwner();
  if (!sent.ok) return failWith("sendMessage", sent.failure, startBot);

  const notice = await call(() =>
    api.sendMessage(chatId, message.groupNotice, {
      link_preview_options: { is_disabled: true },
      ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
    }),
  );
  // The owner has the button: a lost notice is worth a log line, not a failed delivery.
  if (!notice.ok) noteCall({ platform: "telegram", method: "sendMessage", error: notice.failure.code, outcome: "delivered" });
  return { delivered: true, platform: "telegram" };
}
