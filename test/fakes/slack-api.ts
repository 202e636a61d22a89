/**
 * A Slack Web API fake for tests, the e2e server and `npm run dev` (node:http, runs under tsx and Vitest).
 *
 *   const fake = await startSlackFake({ botToken: "xoxb-test", teamId: "T0TEST" })   // port 0, 127.0.0.1
 *   new WebClient("xoxb-test", { slackApiUrl: fake.url })                          // fake.url ends with /api/
 *
 * Web API: `POST|GET /api/<method>`, url-encoded (as @slack/web-api sends it; `blocks`, `attachments` and
 * `metadata` JSON-encoded) or JSON; `Authorization: Bearer <token>` or a `token` parameter. Answers like Slack:
 * HTTP 200 with `{"ok":true,…}` or `{"ok":false,"error":"<code>"}` (no token → not_authed, wrong → invalid_auth,
 * unknown method → unknown_method); `ratelimited` is HTTP 429 with `Retry-After` and `{"ok":false,"error":
 * "ratelimited"}`. Implemented: auth.test, chat.postEphemeral and — recorded so tests can assert it is never
 * called, since everyone in the channel would see it — chat.postMessage.
 *
 * Scripting (per channel id; posting an id again replaces it):
 *   channel {id, members?: [userIds], botInChannel?: true, name?, error?, delayMs?}
 *           an unknown channel → channel_not_found; botInChannel false → not_in_channel; a user who is not a
 *           member → user_not_in_channel.
 *   error   {error: "<slack code>", retryAfter?: seconds (ratelimited, default 1), httpStatus?: e.g. 503,
 *           methods?: string[], times?: number}: answered instead of the real result for calls to that channel.
 *
 * Control plane (JSON, same server): POST /__fake/slack/channels (one spec or a list), GET
 * /__fake/calls?chat=<channel>&method=<m> → [{method, chat?, body, at, status}] oldest first (the token is never
 * recorded), POST /__fake/reset, GET /__fake/health, GET /__fake/inbox (HTML, dev only).
 * Typed client for another process: slackFakeControl(url) in ./control.ts.
 */
import type http from "node:http";
import {
  ControlError,
  type FakeListenOptions,
  type Fields,
  type InboxButton,
  type Scripted,
  filterCalls,
  groupInbox,
  handleCommonControl,
  handleScript,
  idOf,
  jsonField,
  obj,
  optionalInt,
  optionalString,
  optionalStrings,
  parseFields,
  readBody,
  renderInbox,
  sendJson,
  sendTooLarge,
  startServer,
  takeScripted,
} from "./http-kit";

export type SlackError = Scripted<{ error: string; retryAfter?: number; httpStatus?: number }>;
export type SlackChannelSpec = { id: string; members?: string[]; botInChannel?: boolean; name?: string; error?: SlackError; delayMs?: number };
export type SlackCall = { method: string; chat?: string; body: Fields; at: string; status: number };
export type CallFilter = { chat?: string; method?: string };

export type SlackFake = {
  /** The Web API base for `slackApiUrl` (ends with /api/). */
  url: string;
  port: number;
  channel(spec: SlackChannelSpec | SlackChannelSpec[]): void;
  calls(filter?: CallFilter): SlackCall[];
  reset(): void;
  stop(): Promise<void>;
};

type Channel = { id: string; members: Set<string>; botInChannel: boolean; name: string; error?: SlackError; delayMs: number };

const METHODS = new Set(["auth.test", "chat.postEphemeral", "chat.postMessage"]);
const JSON_FIELDS = ["blocks", "attachments", "metadata"];

export function parseSlackChannel(raw: unknown): Channel {
  const c = obj(raw, "channel");
  const id = idOf(c.id, "id");
  if (!/^[CGD][A-Z0-9]{2,20}$/.test(id)) throw new ControlError("a channel id looks like C…, G… or D… (upper case)");
  let error: SlackError | undefined;
  if (c.error !== undefined) {
    const e = obj(c.error, "error");
    const code = optionalString(e.error, "error.error", 64);
    if (!code || !/^[a-z0-9_]+$/.test(code)) throw new ControlError("error.error must be a Slack error code");
    error = {
      error: code,
      retryAfter: optionalInt(e.retryAfter, "error.retryAfter", 0, 86400),
      httpStatus: optionalInt(e.httpStatus, "error.httpStatus", 200, 599),
      methods: optionalStrings(e.methods, "error.methods"),
      times: optionalInt(e.times, "error.times", 0, 1000),
    };
  }
  if (c.botInChannel !== undefined && typeof c.botInChannel !== "boolean") throw new ControlError("botInChannel must be a boolean");
  return {
    id,
    members: new Set(optionalStrings(c.members, "members") ?? []),
    botInChannel: c.botInChannel !== false,
    name: optionalString(c.name, "name", 80) ?? id.toLowerCase(),
    error,
    delayMs: optionalInt(c.delayMs, "delayMs", 0, 120_000) ?? 0,
  };
}

type BlockProblem = "invalid_blocks" | undefined;

function checkBlocks(blocks: unknown): BlockProblem {
  if (!Array.isArray(blocks) || blocks.length > 50) return "invalid_blocks";
  for (const block of blocks as unknown[]) {
    if (!block || typeof block !== "object" || typeof (block as { type?: unknown }).type !== "string") return "invalid_blocks";
    const elements = (block as { elements?: unknown }).elements;
    if ((block as { type: string }).type === "actions") {
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return "invalid_blocks";
      for (const el of elements as Array<{ type?: unknown; url?: unknown; text?: { type?: unknown; text?: unknown } }>) {
        if (!el || typeof el !== "object" || typeof el.type !== "string") return "invalid_blocks";
        if (el.type === "button") {
          if (el.text?.type !== "plain_text" || typeof el.text.text !== "string" || el.text.text.length > 75) return "invalid_blocks";
          if (el.url !== undefined && (typeof el.url !== "string" || !/^https?:\/\//.test(el.url) || el.url.length > 3000)) return "invalid_blocks";
        }
      }
    }
  }
  return undefined;
}

export async function startSlackFake(options: FakeListenOptions & { botToken: string; teamId: string; teamName?: string }): Promise<SlackFake> {
  const { botToken, teamId } = options;
  if (!botToken) throw new Error("botToken is required");
  const team = options.teamName ?? "Gatehouse Fake";
  const channels = new Map<string, Channel>();
  let calls: SlackCall[] = [];
  let tsCounter = 0;

  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsCounter % 1_000_000).padStart(6, "0")}`;

  const fail = (res: http.ServerResponse, call: SlackCall | undefined, error: string, status = 200, retryAfter?: number) => {
    if (call) call.status = status;
    sendJson(res, status, { ok: false, error }, status === 429 ? { "retry-after": String(retryAfter ?? 1) } : {});
  };

  function handleMethod(method: string, fields: Fields, channelId: string | undefined): { error: string } | Record<string, unknown> {
    if (method === "auth.test") {
      return { url: `https://${team.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.slack.com/`, team, user: "gatehouse", team_id: teamId, user_id: "U0GATEHOUSE", bot_id: "B0GATEHOUSE", is_enterprise_install: false };
    }
    const channel = channelId ? channels.get(channelId) : undefined;
    if (!channel) return { error: "channel_not_found" };
    if (!channel.botInChannel) return { error: "not_in_channel" };
    const hasText = typeof fields.text === "string" && fields.text !== "";
    if (!hasText && fields.blocks === undefined) return { error: "no_text" };
    if (fields.blocks !== undefined && checkBlocks(fields.blocks)) return { error: "invalid_blocks" };
    if (method === "chat.postEphemeral") {
      const user = typeof fields.user === "string" ? fields.user : "";
      if (!user) return { error: "user_not_found" };
      if (!channel.members.has(user)) return { error: "user_not_in_channel" };
      return { message_ts: nextTs() };
    }
    const ts = nextTs();
    return { channel: channel.id, ts, message: { type: "message", text: fields.text ?? "", ts, bot_id: "B0GATEHOUSE" } };
  }

  async function webApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const match = /^\/api\/([A-Za-z0-9._-]{1,100})$/.exec(url.pathname);
    if (!match) return sendJson(res, 404, { ok: false, error: "not_found" });
    if (req.method !== "GET" && req.method !== "POST") return fail(res, undefined, "method_not_supported_for_channel_type", 405);
    const body = await readBody(req);
    if (body === "too_large") return sendTooLarge(res, { ok: false, error: "request_too_large" });
    const method = match[1]!;
    const parsed = parseFields(req, body, url);
    const fields: Fields = typeof parsed === "string" ? {} : parsed;
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const token = bearer ?? (typeof fields.token === "string" ? fields.token : undefined);
    delete fields.token;
    let badJsonField = false;
    for (const key of JSON_FIELDS) {
      if (fields[key] === undefined) continue;
      const decoded = jsonField(fields[key]);
      if (decoded.ok) fields[key] = decoded.value;
      else badJsonField = true;
    }
    const channelId = typeof fields.channel === "string" ? fields.channel : undefined;
    const call: SlackCall = { method, ...(channelId ? { chat: channelId } : {}), body: structuredClone(fields), at: new Date().toISOString(), status: 0 };
    calls.push(call);

    if (parsed === "malformed") return fail(res, call, "invalid_json");
    if (parsed === "unsupported") return fail(res, call, "invalid_form_data");
    if (!token) return fail(res, call, "not_authed");
    if (token !== botToken) return fail(res, call, "invalid_auth");
    if (!METHODS.has(method)) return fail(res, call, "unknown_method");
    if (badJsonField) return fail(res, call, "invalid_blocks_format");

    const channel = channelId ? channels.get(channelId) : undefined;
    if (channel?.delayMs && !(await server.pause(channel.delayMs, req))) return;
    const scripted = method === "auth.test" ? undefined : takeScripted(channel?.error, method);
    if (scripted) {
      if (scripted.error === "ratelimited") return fail(res, call, "ratelimited", 429, scripted.retryAfter);
      return fail(res, call, scripted.error, scripted.httpStatus ?? 200);
    }
    const result = handleMethod(method, fields, channelId);
    if (typeof result.error === "string") return fail(res, call, result.error);
    call.status = 200;
    sendJson(res, 200, { ok: true, ...result });
  }

  const api = {
    channel(spec: SlackChannelSpec | SlackChannelSpec[]) {
      for (const c of (Array.isArray(spec) ? spec : [spec]).map(parseSlackChannel)) channels.set(c.id, c);
    },
    calls: (filter?: CallFilter) => filterCalls(calls, filter),
    reset() {
      channels.clear();
      calls = [];
    },
  };

  const inbox = () => {
    const received = calls
      .filter((c) => (c.method === "chat.postEphemeral" || c.method === "chat.postMessage") && c.status === 200 && c.chat)
      .map((c) => {
        const blocks = Array.isArray(c.body.blocks) ? (c.body.blocks as Array<{ type?: unknown; text?: { text?: unknown }; elements?: unknown }>) : [];
        const section = blocks.find((b) => b?.type === "section")?.text?.text;
        const buttons: InboxButton[] = blocks
          .filter((b) => b?.type === "actions" && Array.isArray(b.elements))
          .flatMap((b) => b.elements as Array<{ type?: unknown; url?: unknown; text?: { text?: unknown } }>)
          .filter((el) => el?.type === "button" && el.url !== undefined)
          .map((el) => ({ label: String(el.text?.text ?? "button"), url: String(el.url), kind: "button" }));
        const channel = channels.get(c.chat!);
        return {
          group: c.chat!,
          title: `#${channel?.name ?? c.chat}`,
          subtitle: `channel ${c.chat}`,
          at: c.at,
          text: String(section ?? c.body.text ?? ""),
          buttons,
          notes: [
            c.method === "chat.postEphemeral" ? `ephemeral, only ${String(c.body.user)} sees it` : "visible to the whole channel",
            ...(c.body.thread_ts !== undefined ? [`thread ${String(c.body.thread_ts)}`] : []),
          ],
        };
      });
    return renderInbox("Slack", groupInbox(received));
  };

  const server = await startServer(async (req, res, url) => {
    if (url.pathname.startsWith("/__fake/")) {
      if (await handleCommonControl(req, res, url, "slack", { calls: api.calls, reset: api.reset, inbox })) return;
      if (`${req.method} ${url.pathname}` === "POST /__fake/slack/channels") return handleScript(req, res, parseSlackChannel, (c) => channels.set(c.id, c));
      return sendJson(res, 404, { ok: false, error: "unknown control route" });
    }
    return webApi(req, res, url);
  }, options);

  return { url: `${server.origin}/api/`, port: server.port, ...api, stop: () => server.stop() };
}
