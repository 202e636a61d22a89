// The delivery context of a job (SPEC §6, §7), checked once at creation: a Telegram chat is the owner's private chat
// or a group; a Slack delivery needs an owner with a Slack identity. Anything else is 422 invalid_delivery.
import { AppError } from "../errors";
import { isTelegramId } from "../identity/platform";

export type Delivery = { platform: "telegram" | "slack"; chatId: string; threadId?: string };

type Identity = { platform: string; externalId: string };

const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,31}$/;
const SLACK_THREAD_TS = /^[0-9]{1,12}\.[0-9]{1,9}$/;

function refuse(reason: string, message: string): never {
  throw new AppError("invalid_delivery", message, { details: { reason } });
}

export function checkDelivery(delivery: Delivery, ownerIdentities: Identity[]): void {
  const own = (platform: string) => ownerIdentities.filter((i) => i.platform === platform).map((i) => i.externalId);
  if (delivery.platform === "telegram") {
    const { chatId, threadId } = delivery;
    if (isTelegramId(chatId, "positive")) {
      if (!own("telegram").includes(chatId)) {
        refuse("chat_not_owned", "A private Telegram chat must be the job owner's own: chatId must be the owner's Telegram user id, or a group's (negative) id.");
      }
    } else if (!isTelegramId(chatId, "negative")) {
      refuse("invalid_chat_id", "A Telegram chatId is the owner's Telegram user id or a group's negative id.");
    }
    if (threadId !== undefined && !isTelegramId(threadId, "positive")) refuse("invalid_thread_id", "A Telegram threadId is a message thread id (a positive number).");
    return;
  }
  if (own("slack").length === 0) refuse("no_slack_identity", "The job owner has no Slack identity in this workspace, so Gatehouse cannot show them a Slack button.");
  if (!SLACK_CHANNEL_ID.test(delivery.chatId)) refuse("invalid_chat_id", "A Slack chatId is a channel id such as C0123ABCD.");
  if (delivery.threadId !== undefined && !SLACK_THREAD_TS.test(delivery.threadId)) refuse("invalid_thread_id", "A Slack threadId is a message ts such as 1700000000.123456.");
}
