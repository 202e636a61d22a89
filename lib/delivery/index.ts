import "server-only";
import { getConfig } from "../config";
import { deliverSlack } from "./slack";
import { deliverTelegram } from "./telegram";
import type { DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";

export type { DeliveryFailure, DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";
export { DELIVERY_FAILURES } from "./types";
export { telegramOpensInWebApp } from "./telegram";

/**
 * Puts `message.url` as a button in front of the job's owner, where only they can see it (SPEC §7). Platform
 * refusals, errors and timeouts (5 s per call) come back as a reason, never as an exception; only a malformed
 * target or message (a programming error) throws.
 */
export async function deliverLink(target: DeliveryTarget, message: LinkMessage): Promise<DeliveryOutcome> {
  assertLinkMessage(message);
  return target.platform === "telegram" ? deliverTelegram(target, message) : deliverSlack(target, message);
}

/** Our own links only, and only in the button: the words around it must not carry it (nor its id). */
function assertLinkMessage(message: LinkMessage) {
  let url: URL;
  try {
    url = new URL(message.url);
  } catch {
    throw new TypeError("a delivered link must be an absolute URL");
  }
  if (url.origin !== getConfig().publicUrl) throw new TypeError("a delivered link must point at GATEHOUSE_PUBLIC_URL");
  if (!message.text.trim() || !message.buttonLabel.trim()) throw new TypeError("a delivery needs text and a button label");
  const secrets = [message.url, ...[...url.searchParams.values()].filter((v) => v.length >= 8)];
  for (const words of [message.text, message.buttonLabel, message.groupNotice]) {
    if (secrets.some((s) => words.includes(s))) throw new TypeError("the link may only appear in the button");
  }
}
