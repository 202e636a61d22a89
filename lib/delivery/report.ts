import "server-only";
import { log } from "../log";
import type { DeliveryFailure } from "./types";

/**
 * The one log line of a platform call that did not go as planned. Only our own vocabulary goes in: the platform,
 * the method, a status or error code we recognised, the outcome. Never an error object or a platform's error
 * text: grammY's errors carry the request payload (the link) and Slack's may echo URLs.
 */
export function noteCall(entry: {
  platform: "telegram" | "slack";
  method: string;
  /** Telegram's error_code, Slack's error code, or timeout | network | unexpected | not_configured. */
  error: number | string;
  outcome: DeliveryFailure | "delivered";
}) {
  if (entry.outcome === "platform_unavailable") log.warn(entry, "chat platform call failed");
  else log.info(entry, "chat platform call refused");
}

/** A wait Telegram or Slack asked for, as a whole number of seconds we can hand on (1 when they named none). */
export function retryAfter(seconds: unknown): number {
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 86_400) : 1;
}
