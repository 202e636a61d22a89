import "server-only";
import { ErrorCode, LogLevel, WebClient, type Logger } from "@slack/web-api";
import { getConfig } from "../config";
import { log } from "../log";
import { noteCall, retryAfter } from "./report";
import type { DeliveryFailure, DeliveryOutcome, DeliveryTarget, LinkMessage } from "./types";

export const SLACK_TIMEOUT_MS = 5_000;

type SlackTarget = Extract<DeliveryTarget, { platform: "slack" }>;
type Method = "auth.test" | "chat.postEphemeral";
/** What we keep of a failed call: a Slack error code we can name, never the error's message or data. */
type Failure = { code: string; retryAfter?: number };
type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/**
 * The client logs request URLs and bodies at debug, and failed requests' messages at warn; none of it may reach
 * our log. Only the fact that the client reported an error does, in our words.
 */
const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {
    log.warn({ platform: "slack" }, "Slack client reported an error (details withheld)");
  },
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

const clients = new Map<string, WebClient>();
const teamIds = new Map<string, Promise<Result<string>>>();

function slackClient(token: string, apiUrl: string): WebClient {
  const key = `${apiUrl}\n${token}`;
  let client = clients.get(key);
  if (!client) {
    client = new WebClient(token, {
      slackApiUrl: apiUrl,
      timeout: SLACK_TIMEOUT_MS,
      rejectRateLimitedCalls: true,
      // One quick retry for a network blip or a 5xx. The client's timeout is per attempt, so maxRetryTime keeps a
      // call that already used its 5 s from being sent again (a timed-out postEphemeral may have been delivered).
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500, maxRetryTime: SLACK_TIMEOUT_MS },
      logLevel: LogLevel.ERROR,
      logger: silentLogger,
    });
    clients.set(key, client);
  }
  return client;
}

const SLACK_CODE = /^[a-z0-9_]{1,64}$/;

async function call<T>(run: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    const e = (err ?? {}) as { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } }; original?: { name?: unknown } };
    switch (e.code) {
      case ErrorCode.RateLimitedError:
        return { ok: false, failure: { code: "ratelimited", retryAfter: retryAfter(e.retryAfter) } };
      case ErrorCode.PlatformError: {
        // A body that is not JSON arrives as a platform error whose `error` is that body: keep only real codes.
        const code = typeof e.data?.error === "string" && SLACK_CODE.test(e.data.error) ? e.data.error : "unrecognised";
        return { ok: false, failure: { code, retryAfter: code === "ratelimited" ? retryAfter(e.data?.response_metadata?.retryAfter) : undefined } };
      }
      case ErrorCode.HTTPError:
        return { ok: false, failure: { code: typeof e.statusCode === "number" ? `status_${e.statusCode}` : "status_unknown" } };
      case ErrorCode.RequestError:
        return { ok: false, failure: { code: e.original?.name === "TimeoutError" || e.original?.name === "AbortError" ? "timeout" : "network" } };
      default:
        return { ok: false, failure: { code: "unexpected" } };
    }
  }
}

function fail(method: Method, failure: Failure, refused?: (code: string) => DeliveryFailure | undefined): DeliveryOutcome {
  const reason: DeliveryFailure = failure.code === "ratelimited" ? "rate_limited" : (refused?.(failure.code) ?? "platform_unavailable");
  noteCall({ platform: "slack", method, error: failure.code, outcome: reason });
  return reason === "rate_limited"
    ? { delivered: false, platform: "slack", reason, retryAfterSeconds: retryAfter(failure.retryAfter) }
    : { delivered: false, platform: "slack", reason };
}

/** The bot's own team, asked once per process (a failed answer is not kept). */
function botTeam(client: WebClient, key: string): Promise<Result<string>> {
  let pending = teamIds.get(key);
  if (!pending) {
    pending = call(async () => {
      const r = await client.auth.test();
      if (typeof r.team_id !== "string" || r.team_id === "") throw new Error("auth.test without team_id");
      return r.team_id;
    });
    teamIds.set(key, pending);
    void pending.then((r) => {
      if (!r.ok) teamIds.delete(key);
    });
  }
  return pending;
}

export async function deliverSlack(target: SlackTarget, message: LinkMessage): Promise<DeliveryOutcome> {
  const { slack } = getConfig();
  if (!slack.botToken) {
    noteCall({ platform: "slack", method: "chat.postEphemeral", error: "not_configured", outcome: "platform_unavailable" });
    return { delivered: false, platform: "slack", reason: "platform_unavailable" };
  }
  const ids = target.ownerSlackIds;
  if (ids.length === 0) return { delivered: false, platform: "slack", reason: "chat_not_owned" };
  const client = slackClient(slack.botToken, slack.apiUrl);

  // The owner's identity in the bot's own Slack workspace, even when they have only one: a user id of another
  // team could name someone else in this one.
  const team = await botTeam(client, `${slack.apiUrl}\n${slack.botToken}`);
  if (!team.ok) return fail("auth.test", team.failure);
  const mine = ids.find((id) => id.team === team.value);
  if (!mine) return { delivered: false, platform: "slack", reason: "chat_not_owned" };
  const user = mine.user;

  // Ephemeral: only `user` sees it. The fallback text carries the words, never the link.
  const posted = await call(() =>
    client.chat.postEphemeral({
      channel: target.chatId,
      user,
      ...(target.threadId !== undefined ? { thread_ts: target.threadId } : {}),
      text: message.text,
      blocks: [
        { type: "section", text: { type: "plain_text", text: message.text } },
        { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: message.buttonLabel }, url: message.url, action_id: "gatehouse_open" }] },
      ],
    }),
  );
  if (posted.ok) return { delivered: true, platform: "slack" };
  return fail("chat.postEphemeral", posted.failure, (code) =>
    code === "user_not_in_channel" || code === "channel_not_found" ? "user_not_in_channel" : code === "not_in_channel" ? "unsupported_chat" : undefined,
  );
}
