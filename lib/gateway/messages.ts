// The words of the gateway: what the agent may relay for each reason (SPEC §7), and what the owner reads in chat.
// None contains a link: the only URL of a delivery is the button's.
import type { LinkPurpose } from "../links/purpose";

export const GATEWAY_REASONS = [
  "no_delivery_context",
  "user_must_start_bot",
  "user_not_in_channel",
  "unsupported_chat",
  "chat_not_owned",
  "not_admin",
  "rate_limited",
  "platform_unavailable",
  "already_connected",
] as const;
export type GatewayReason = (typeof GATEWAY_REASONS)[number];

/** One sentence the agent may relay to the user as is. */
export function reasonMessage(reason: GatewayReason, retryAfterSeconds?: number): string {
  switch (reason) {
    case "no_delivery_context":
      return "I can't send you a button from here, because this job was started without a chat to reply in.";
    case "user_must_start_bot":
      return "I couldn't message you privately: open a chat with the bot, press Start (or unblock it), then ask me again.";
    case "user_not_in_channel":
      return "I couldn't show you the button in this channel: ask me again from a channel you are a member of.";
    case "unsupported_chat":
      return "I can't send private buttons in this kind of chat: ask me again from a private chat or a group with the bot.";
    case "chat_not_owned":
      return "I can only send this button to the person this job works for, and they are not in this chat.";
    case "not_admin":
      return "Only owners and admins of this workspace can open the admin console.";
    case "rate_limited":
      return `Too many buttons were requested just now: wait about ${retryAfterSeconds ?? 60} seconds, then ask me again.`;
    case "platform_unavailable":
      return "The chat platform could not be reached, so no button was sent: try again in a few minutes.";
    case "already_connected":
      return "That account is already connected, so there is nothing to do.";
  }
}

const SECTION_WORDS = { secrets: "your secrets", connections: "your connections", "agent-access": "your agents' access" } as const;

/** The chat message and its button. `reason` is the agent's own words (checked link-free by the request schema). */
export function chatMessage(purpose: LinkPurpose, { workspaceName, reason, ttlMinutes }: { workspaceName: string; reason?: string; ttlMinutes: number }) {
  const what = (() => {
    switch (purpose.kind) {
      case "settings":
        return { ask: `open ${purpose.section ? SECTION_WORDS[purpose.section] : "your settings"} in Gatehouse (${workspaceName})`, button: "Open settings" };
      case "admin":
        return { ask: `open the admin console of ${workspaceName}`, button: "Open admin console" };
      case "connect":
        return { ask: `connect your ${purpose.provider} account (${workspaceName})`, button: `Connect ${purpose.provider}` };
      case "mcp":
        // The server's host would be linkified by the chat client: the page behind the button names it.
        return { ask: `sign in to an MCP server (${workspaceName})`, button: "Sign in" };
    }
  })();
  const lines = [`Your agent asks you to ${what.ask}.`];
  if (reason) lines.push(`Reason given by the agent: “${reason}”`);
  lines.push(`The button works once, for about ${ttlMinutes} minutes, and only for you.`);
  return { text: lines.join("\n"), buttonLabel: what.button, groupNotice: "I sent you a private message with a button." };
}
