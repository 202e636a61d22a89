// The delivery context checked at job creation (SPEC §7): 422 invalid_delivery for any chat the owner cannot be reached in.
import { describe, expect, it } from "vitest";
import { checkDelivery, type Delivery } from "./delivery";

const owner = [
  { platform: "telegram", externalId: "1001" },
  { platform: "slack", externalId: "T0TEAM:U0USER" },
];
const telegramOnly = [owner[0]!];

describe("checkDelivery", () => {
  const ok: [string, Delivery, typeof owner][] = [
    ["the owner's private chat", { platform: "telegram", chatId: "1001" }, owner],
    ["a private chat with a thread", { platform: "telegram", chatId: "1001", threadId: "7" }, owner],
    ["a group", { platform: "telegram", chatId: "-4001" }, owner],
    ["a supergroup with a topic", { platform: "telegram", chatId: "-1001234567890", threadId: "42" }, owner],
    ["a Slack channel", { platform: "slack", chatId: "C0CHANNEL" }, owner],
    ["a Slack thread", { platform: "slack", chatId: "C0CHANNEL", threadId: "1700000000.123456" }, owner],
  ];
  it.each(ok)("accepts %s", (_, delivery, identities) => expect(() => checkDelivery(delivery, identities)).not.toThrow());

  const bad: [string, Delivery, typeof owner, string][] = [
    ["someone else's private chat", { platform: "telegram", chatId: "2002" }, owner, "chat_not_owned"],
    ["a chat id that is not a number", { platform: "telegram", chatId: "@channel" }, owner, "invalid_chat_id"],
    ["zero", { platform: "telegram", chatId: "0" }, owner, "invalid_chat_id"],
    ["a group id beyond what JSON carries exactly", { platform: "telegram", chatId: "-12345678901234567" }, owner, "invalid_chat_id"],
    ["a thread id beyond what JSON carries exactly", { platform: "telegram", chatId: "1001", threadId: "12345678901234567" }, owner, "invalid_thread_id"],
    ["a bad thread", { platform: "telegram", chatId: "1001", threadId: "x" }, owner, "invalid_thread_id"],
    ["Slack for an owner without a Slack identity", { platform: "slack", chatId: "C0CHANNEL" }, telegramOnly, "no_slack_identity"],
    ["a Slack channel id of the wrong shape", { platform: "slack", chatId: "general" }, owner, "invalid_chat_id"],
    ["a Slack thread that is not a ts", { platform: "slack", chatId: "C0CHANNEL", threadId: "12" }, owner, "invalid_thread_id"],
  ];
  it.each(bad)("refuses %s", (_, delivery, identities, reason) => {
    expect(() => checkDelivery(delivery, identities)).toThrow(expect.objectContaining({ code: "invalid_delivery", status: 422, details: { reason } }));
  });
});
