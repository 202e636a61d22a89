// What the gateway hands to a chat platform and what it learns back. Nothing here carries a platform's own error
// text: those messages can hold URLs (the bot token is in Telegram's), so only our reason codes leave lib/delivery.

/** Where the owner's button goes: the job's delivery context, with the owner's ids on that platform. */
export type DeliveryTarget =
  | {
      platform: "telegram";
      /** The owner's Telegram user id (private chat) or a group's negative id, as recorded at job creation. */
      chatId: string;
      threadId?: string;
      /** The owner's Telegram user id, or null when the owner has no Telegram identity (→ chat_not_owned). */
      ownerTelegramId: string | null;
    }
  | {
      platform: "slack";
      /** The Slack channel (C…, G…, D…) the job runs in. */
      chatId: string;
      /** Slack `thread_ts`. */
      threadId?: string;
      /** Every `slack:<team>:<user>` identity of the owner (→ chat_not_owned when empty). */
      ownerSlackIds: { team: string; user: string }[];
    };

/** The words of one delivery. None of them contains a link; only `url` does, and it goes only into the button. */
export type LinkMessage = {
  /** The link itself (…/settings?s=<id>). Only ever put into the button. */
  url: string;
  /** The message shown with the button, plain text (no parse mode, no markup), e.g. "Your agent asks you to …". */
  text: string;
  /** The button's label, e.g. "Open settings". */
  buttonLabel: string;
  /** Telegram groups only: the link-free notice posted in the group's thread ("I sent you a private message."). */
  groupNotice: string;
};

export const DELIVERY_FAILURES = [
  "user_must_start_bot",
  "user_not_in_channel",
  "unsupported_chat",
  "chat_not_owned",
  "rate_limited",
  "platform_unavailable",
] as const;
export type DeliveryFailure = (typeof DELIVERY_FAILURES)[number];

export type DeliveryOutcome =
  | { delivered: true; platform: "telegram" | "slack" }
  | { delivered: false; platform: "telegram" | "slack"; reason: DeliveryFailure; retryAfterSeconds?: number };
