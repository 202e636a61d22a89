/**
 * A Telegram Bot API fake for tests, the e2e server and `npm run dev` (node:http, runs under tsx and Vitest).
 *
 *   const fake = await startTelegramFake({ botToken: "123:abc" })   // port 0, 127.0.0.1
 *   new Api("123:abc", { apiRoot: fake.url })                        // fake.url = http://127.0.0.1:<port>
 *
 * Bot API: `GET|POST /bot<token>/<method>` (JSON, url-encoded or query parameters; method names are
 * case-insensitive as on Telegram). Answers `{"ok":true,"result":…}` or `{"ok":false,"error_code":N,
 * "description":"…"[,"parameters":{"retry_after":N}]}` with HTTP status N. Wrong token → 401 Unauthorized,
 * unknown method → 404 Not Found. Implemented: getMe, sendMessage, getChat, getChatMember, and — recorded so
 * tests can assert they are never called — getUpdates, setWebhook, deleteWebhook, getWebhookInfo, logOut, close.
 *
 * Scripting (per id, so parallel tests with random ids never collide; posting an id again replaces it):
 *   user  {id, state?: "started"(default)|"never_started"|"blocked", firstName?, username?, error?, delayMs?}
 *         a private chat. An id never registered: sendMessage/getChat → 400 "Bad Request: chat not found",
 *         getChatMember → 400 "Bad Request: user not found".
 *   chat  {id, type: "group"|"supergroup"|"channel", title?, username?, members?: {[userId]: status |
 *         {status, isMember?}}, error?, delayMs?}; status creator|administrator|member|restricted|left|kicked
 *         (restricted: is_member = isMember ?? true); a registered user missing from members is "left".
 *   error {error_code, description, retry_after?, methods?: string[], times?: number}: answered instead of the
 *         real result for calls about that chat (all chat methods unless `methods`; the next `times` calls only
 *         if set). delayMs holds the answer back (timeouts); the client hanging up ends the wait.
 *
 * Control plane (JSON, same server): POST /__fake/telegram/users (one spec or a list), POST
 * /__fake/telegram/chats, GET /__fake/calls?chat=<id>&method=<m> → [{method, chat?, body, at, status}] oldest
 * first, POST /__fake/reset (forgets scripts and calls), GET /__fake/health, GET /__fake/inbox (HTML, dev only).
 * Typed client for another process: telegramFakeControl(url) in ./control.ts.
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
  oneOf,
  optionalInt,
  optionalString,
  parseFields,
  readBody,
  renderInbox,
  sendJson,
  sendTooLarge,
  startServer,
  takeScripted,
} from "./http-kit";

export const TELEGRAM_USER_STATES = ["started", "never_started", "blocked"] as const;
export const TELEGRAM_CHAT_TYPES = ["group", "supergroup", "channel"] as const;
export const TELEGRAM_MEMBER_STATUSES = ["creator", "administrator", "member", "restricted", "left", "kicked"] as const;

export type TelegramUserState = (typeof TELEGRAM_USER_STATES)[number];
export type TelegramChatType = (typeof TELEGRAM_CHAT_TYPES)[number];
export type TelegramMemberStatus = (typeof TELEGRAM_MEMBER_STATUSES)[number];
export type TelegramMember = TelegramMemberStatus | { status: TelegramMemberStatus; isMember?: boolean };
export type TelegramError = Scripted<{ error_code: number; description: string; retry_after?: number }>;

export type TelegramUserSpec = {
  id: number | string;
  state?: TelegramUserState;
  firstName?: string;
  username?: string;
  error?: TelegramError;
  delayMs?: number;
};
export type TelegramChatSpec = {
  id: number | string;
  type: TelegramChatType;
  title?: string;
  username?: string;
  members?: Record<string, TelegramMember>;
  error?: TelegramError;
  delayMs?: number;
};

export type TelegramCall = {
  /** Canonical method name (`getupdates` is recorded as getUpdates); unknown methods as sent. */
  method: string;
  /** The chat the call is about (chat_id), as a string id. */
  chat?: string;
  /** The parameters as received; reply_markup and link_preview_options parsed to objects. */
  body: Fields;
  at: string;
  /** The HTTP status the fake answered. */
  status: number;
};
export type CallFilter = { chat?: string | number; method?: string };

export type TelegramFake = {
  /** The Bot API root for grammY's `apiRoot` (no trailing slash). */
  url: string;
  port: number;
  user(spec: TelegramUserSpec | TelegramUserSpec[]): void;
  chat(spec: TelegramChatSpec | TelegramChatSpec[]): void;
  calls(filter?: CallFilter): TelegramCall[];
  reset(): void;
  stop(): Promise<void>;
};

const METHODS = ["getMe", "sendMessage", "getChat", "getChatMember", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "logOut", "close"];
const CANONICAL = new Map(METHODS.map((m) => [m.toLowerCase(), m]));
const CHAT_METHODS = new Set(["sendMessage", "getChat", "getChatMember"]);

type User = Required<Pick<TelegramUserSpec, "state" | "firstName">> & { id: string; username?: string; error?: TelegramError; delayMs: number };
type Chat = { id: string; type: TelegramChatType; title: string; username?: string; members: Map<string, { status: TelegramMemberStatus; isMember: boolean }>; error?: TelegramError; delayMs: number };

class TgError {
  constructor(
    readonly error_code: number,
    readonly description: string,
    readonly retry_after?: number,
  ) {}
}
const CHAT_NOT_FOUND = () => new TgError(400, "Bad Request: chat not found");

function scriptedError(raw: unknown): TelegramError | undefined {
  if (raw === undefined) return undefined;
  const e = obj(raw, "error");
  const code = optionalInt(e.error_code, "error.error_code", 400, 599);
  const description = optionalString(e.description, "error.description", 1000);
  if (code === undefined || description === undefined) throw new ControlError("error needs error_code and description");
  const methods = e.methods === undefined ? undefined : (e.methods as unknown[]);
  if (methods && (!Array.isArray(methods) || methods.some((m) => typeof m !== "string"))) throw new ControlError("error.methods must be a list of method names");
  return {
    error_code: code,
    description,
    retry_after: optionalInt(e.retry_after, "error.retry_after", 0, 86400),
    methods: methods?.map((m) => CANONICAL.get(String(m).toLowerCase()) ?? String(m)),
    times: optionalInt(e.times, "error.times", 0, 1000),
  };
}

export function parseTelegramUser(raw: unknown): User {
  const u = obj(raw, "user");
  const id = idOf(u.id, "id");
  if (!/^[1-9]\d{0,15}$/.test(id)) throw new ControlError("a user id is a positive integer");
  return {
    id,
    state: u.state === undefined ? "started" : oneOf(u.state, "state", TELEGRAM_USER_STATES),
    firstName: optionalString(u.firstName, "firstName", 64) ?? `User ${id}`,
    username: optionalString(u.username, "username", 32),
    error: scriptedError(u.error),
    delayMs: optionalInt(u.delayMs, "delayMs", 0, 120_000) ?? 0,
  };
}

export function parseTelegramChat(raw: unknown): Chat {
  const c = obj(raw, "chat");
  const id = idOf(c.id, "id");
  if (!/^-[1-9]\d{0,15}$/.test(id)) throw new ControlError("a group, supergroup or channel id is a negative integer");
  const members = new Map<string, { status: TelegramMemberStatus; isMember: boolean }>();
  for (const [userId, member] of Object.entries(c.members === undefined ? {} : obj(c.members, "members"))) {
    if (!/^[1-9]\d{0,15}$/.test(userId)) throw new ControlError("members are keyed by positive user ids");
    const m = typeof member === "string" ? { status: member } : obj(member, `members.${userId}`);
    const status = oneOf(m.status, `members.${userId}.status`, TELEGRAM_MEMBER_STATUSES);
    if (m.isMember !== undefined && typeof m.isMember !== "boolean") throw new ControlError("isMember must be a boolean");
    members.set(userId, { status, isMember: status === "restricted" ? m.isMember !== false : status !== "left" && status !== "kicked" });
  }
  const type = oneOf(c.type, "type", TELEGRAM_CHAT_TYPES);
  return {
    id,
    type,
    title: optionalString(c.title, "title", 128) ?? `Fake ${type} ${id}`,
    username: optionalString(c.username, "username", 32),
    members,
    error: scriptedError(c.error),
    delayMs: optionalInt(c.delayMs, "delayMs", 0, 120_000) ?? 0,
  };
}

/** An integer chat or user id in canonical decimal form, or undefined. */
function numericId(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  if (typeof value === "string" && /^-?\d{1,20}$/.test(value.trim())) return BigInt(value.trim()).toString();
  return undefined;
}

export async function startTelegramFake(options: FakeListenOptions & { botToken: string; botUsername?: string }): Promise<TelegramFake> {
  const { botToken } = options;
  if (!/^\d+:[A-Za-z0-9_-]+$/.test(botToken)) throw new Error("botToken must look like a Telegram token (<id>:<secret>)");
  const bot = { id: Number(botToken.split(":")[0]), is_bot: true, first_name: "Gatehouse Fake Bot", username: options.botUsername ?? "gatehouse_fake_bot" };
  const users = new Map<string, User>();
  const chats = new Map<string, Chat>();
  let calls: TelegramCall[] = [];
  const nextMessageId = new Map<string, number>();
  let webhookUrl = "";

  const resolveChatId = (raw: unknown): string | undefined => {
    const id = numericId(raw);
    if (id !== undefined) return id;
    if (typeof raw === "string" && raw.startsWith("@")) {
      const name = raw.slice(1).toLowerCase();
      for (const c of chats.values()) if (c.username?.toLowerCase() === name) return c.id;
      for (const u of users.values()) if (u.username?.toLowerCase() === name) return u.id;
    }
    return undefined;
  };

  const userObject = (id: string) => {
    const u = users.get(id);
    return { id: Number(id), is_bot: false, first_name: u?.firstName ?? `User ${id}`, ...(u?.username ? { username: u.username } : {}) };
  };
  const chatObject = (id: string) => {
    const c = chats.get(id);
    if (c) return { id: Number(id), type: c.type, title: c.title, ...(c.username ? { username: c.username } : {}) };
    const u = userObject(id);
    return { id: Number(id), type: "private", first_name: u.first_name, ...(u.username ? { username: u.username } : {}) };
  };

  function checkReplyMarkup(markup: unknown, privateChat: boolean): TgError | undefined {
    const bad = () => new TgError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object");
    if (!markup || typeof markup !== "object") return new TgError(400, "Bad Request: can't parse reply keyboard markup JSON object");
    const rows = (markup as { inline_keyboard?: unknown }).inline_keyboard;
    if (rows === undefined) return undefined;
    if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r))) return new TgError(400, "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays");
    for (const button of rows.flat() as unknown[]) {
      if (!button || typeof button !== "object") return bad();
      const b = button as { text?: unknown; url?: unknown; web_app?: { url?: unknown } };
      if (typeof b.text !== "string" || b.text === "") return new TgError(400, "Bad Request: text buttons are unallowed in the inline keyboard");
      if (b.web_app !== undefined) {
        if (!privateChat) return new TgError(400, "Bad Request: BUTTON_TYPE_INVALID");
        if (typeof b.web_app?.url !== "string" || !b.web_app.url.startsWith("https://")) {
          return new TgError(400, `Bad Request: inline keyboard button Web App URL '${String(b.web_app?.url)}' is invalid: Only HTTPS links are allowed`);
        }
      } else if (b.url !== undefined) {
        if (typeof b.url !== "string" || !/^(https?|tg):\/\//i.test(b.url)) return new TgError(400, `Bad Request: inline keyboard button URL '${String(b.url)}' is invalid: Unsupported URL protocol`);
      }
    }
    return undefined;
  }

  function handleMethod(method: string, fields: Fields, chatId: string | undefined): unknown {
    switch (method) {
      case "getMe":
        return { ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case "getUpdates":
        if (webhookUrl) throw new TgError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
        return [];
      case "setWebhook":
        webhookUrl = typeof fields.url === "string" ? fields.url : "";
        return true;
      case "deleteWebhook":
        webhookUrl = "";
        return true;
      case "getWebhookInfo":
        return { url: webhookUrl, has_custom_certificate: false, pending_update_count: 0 };
      case "logOut":
      case "close":
        return true;
      case "getChat": {
        if (!chatId) throw CHAT_NOT_FOUND();
        const c = chats.get(chatId);
        if (c) return { ...chatObject(chatId), accent_color_id: 0, max_reaction_count: 11, accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false } };
        const u = users.get(chatId);
        if (!u || u.state === "never_started") throw CHAT_NOT_FOUND();
        return { ...chatObject(chatId), accent_color_id: 0, max_reaction_count: 11, accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false } };
      }
      case "getChatMember": {
        if (!chatId) throw CHAT_NOT_FOUND();
        const userId = numericId(fields.user_id);
        if (!userId || userId.startsWith("-") || userId === "0") throw new TgError(400, "Bad Request: invalid user_id specified");
        const c = chats.get(chatId);
        if (!c) {
          if (!users.has(chatId)) throw CHAT_NOT_FOUND();
          if (userId !== chatId) throw new TgError(400, "Bad Request: user not found");
          return { status: "member", user: userObject(userId) };
        }
        const member = c.members.get(userId);
        if (!member && !users.has(userId)) throw new TgError(400, "Bad Request: user not found");
        const status = member?.status ?? "left";
        const user = userObject(userId);
        switch (status) {
          case "creator":
            return { status, user, is_anonymous: false };
          case "administrator":
            return { status, user, can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: false, can_manage_video_chats: false, can_restrict_members: false, can_promote_members: false, can_change_info: false, can_invite_users: true, can_post_stories: false, can_edit_stories: false, can_delete_stories: false };
          case "restricted":
            return { status, user, is_member: member!.isMember, can_send_messages: false, can_send_audios: false, can_send_documents: false, can_send_photos: false, can_send_videos: false, can_send_video_notes: false, can_send_voice_notes: false, can_send_polls: false, can_send_other_messages: false, can_add_web_page_previews: false, can_change_info: false, can_invite_users: false, can_pin_messages: false, can_manage_topics: false, until_date: 0 };
          case "kicked":
            return { status, user, until_date: 0 };
          default:
            return { status, user };
        }
      }
      case "sendMessage": {
        if (!chatId) throw CHAT_NOT_FOUND();
        const c = chats.get(chatId);
        const u = users.get(chatId);
        if (!c && !u) throw CHAT_NOT_FOUND();
        if (u?.state === "never_started") throw new TgError(403, "Forbidden: bot can't initiate conversation with a user");
        if (u?.state === "blocked") throw new TgError(403, "Forbidden: bot was blocked by the user");
        if (typeof fields.text !== "string" || fields.text.trim() === "") throw new TgError(400, "Bad Request: message text is empty");
        if (fields.text.length > 4096) throw new TgError(400, "Bad Request: message is too long");
        if (fields.reply_markup !== undefined) {
          const problem = checkReplyMarkup(fields.reply_markup, !c);
          if (problem) throw problem;
        }
        const messageId = (nextMessageId.get(chatId) ?? 0) + 1;
        nextMessageId.set(chatId, messageId);
        const thread = numericId(fields.message_thread_id);
        return {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: chatObject(chatId),
          from: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username },
          text: fields.text,
          ...(thread && c?.type === "supergroup" ? { message_thread_id: Number(thread), is_topic_message: true } : {}),
          ...(fields.reply_markup !== undefined ? { reply_markup: fields.reply_markup } : {}),
        };
      }
    }
    throw new TgError(404, "Not Found");
  }

  const answer = (res: http.ServerResponse, call: TelegramCall | undefined, err: TgError) => {
    if (call) call.status = err.error_code;
    sendJson(res, err.error_code, {
      ok: false,
      error_code: err.error_code,
      description: err.description,
      ...(err.retry_after !== undefined ? { parameters: { retry_after: err.retry_after } } : {}),
    });
  };

  async function botApi(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const match = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
    if (!match) return answer(res, undefined, new TgError(404, "Not Found"));
    if (req.method !== "GET" && req.method !== "POST") return answer(res, undefined, new TgError(405, "Method Not Allowed"));
    const body = await readBody(req);
    if (body === "too_large") return sendTooLarge(res, { ok: false, error_code: 413, description: "Request Entity Too Large" });
    let token = match[1]!;
    let rawMethod = match[2]!;
    try {
      token = decodeURIComponent(token);
      rawMethod = decodeURIComponent(rawMethod);
    } catch {
      return answer(res, undefined, new TgError(404, "Not Found"));
    }
    const method = CANONICAL.get(rawMethod.toLowerCase()) ?? rawMethod.slice(0, 64);
    const parsed = parseFields(req, body, url);
    const fields: Fields = typeof parsed === "string" ? {} : parsed;
    for (const key of ["reply_markup", "link_preview_options"]) {
      if (fields[key] === undefined) continue;
      const decoded = jsonField(fields[key]);
      fields[key] = decoded.ok ? decoded.value : fields[key];
    }
    for (const key of ["message_thread_id", "user_id", "chat_id"]) {
      const n = numericId(fields[key]);
      if (typeof fields[key] === "string" && n !== undefined && Number.isSafeInteger(Number(n))) fields[key] = Number(n);
    }
    const chatId = CHAT_METHODS.has(method) ? resolveChatId(fields.chat_id) : undefined;
    const call: TelegramCall = { method, ...(chatId ? { chat: chatId } : {}), body: structuredClone(fields), at: new Date().toISOString(), status: 0 };
    calls.push(call);

    if (token !== botToken) return answer(res, call, new TgError(401, "Unauthorized"));
    if (parsed === "malformed") return answer(res, call, new TgError(400, "Bad Request: can't parse request body"));
    if (parsed === "unsupported") return answer(res, call, new TgError(400, "Bad Request: unsupported content type"));
    for (const [key, what] of [["reply_markup", "reply keyboard markup"], ["link_preview_options", "link preview options"]] as const) {
      if (typeof fields[key] === "string") return answer(res, call, new TgError(400, `Bad Request: can't parse ${what} JSON object`));
    }
    if (!CANONICAL.has(method.toLowerCase())) return answer(res, call, new TgError(404, "Not Found"));

    const scripted = chatId ? (chats.get(chatId) ?? users.get(chatId)) : undefined;
    if (scripted?.delayMs && !(await server.pause(scripted.delayMs, req))) return;
    const error = takeScripted(scripted?.error, method);
    if (error) return answer(res, call, new TgError(error.error_code, error.description, error.retry_after));
    try {
      const result = handleMethod(method, fields, chatId);
      call.status = 200;
      sendJson(res, 200, { ok: true, result, ...(method === "setWebhook" ? { description: webhookUrl ? "Webhook was set" : "Webhook was deleted" } : {}) });
    } catch (err) {
      if (!(err instanceof TgError)) throw err;
      answer(res, call, err);
    }
  }

  const api = {
    user(spec: TelegramUserSpec | TelegramUserSpec[]) {
      for (const u of (Array.isArray(spec) ? spec : [spec]).map(parseTelegramUser)) users.set(u.id, u);
    },
    chat(spec: TelegramChatSpec | TelegramChatSpec[]) {
      for (const c of (Array.isArray(spec) ? spec : [spec]).map(parseTelegramChat)) chats.set(c.id, c);
    },
    calls: (filter?: CallFilter) => filterCalls(calls, filter),
    reset() {
      users.clear();
      chats.clear();
      nextMessageId.clear();
      calls = [];
      webhookUrl = "";
    },
  };

  const inbox = () => {
    const received = calls
      .filter((c) => c.method === "sendMessage" && c.status === 200 && c.chat)
      .map((c) => {
        const chat = chatObject(c.chat!);
        const rows = (c.body.reply_markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
        const buttons: InboxButton[] = (Array.isArray(rows) ? (rows.flat() as Array<{ text?: unknown; url?: unknown; web_app?: { url?: unknown } }>) : []).flatMap((b) =>
          b?.web_app?.url !== undefined ? [{ label: String(b.text), url: String(b.web_app.url), kind: "web_app" }] : b?.url !== undefined ? [{ label: String(b.text), url: String(b.url), kind: "url" }] : [],
        );
        const preview = c.body.link_preview_options as { is_disabled?: unknown } | undefined;
        return {
          group: c.chat!,
          title: "title" in chat ? `${chat.title}` : `Private chat with ${chat.first_name}`,
          subtitle: `${chat.type} ${c.chat}`,
          at: c.at,
          text: String(c.body.text ?? ""),
          buttons,
          notes: [
            ...(c.body.message_thread_id !== undefined ? [`thread ${String(c.body.message_thread_id)}`] : []),
            preview?.is_disabled === true ? "preview off" : "preview on",
            ...(c.body.parse_mode !== undefined ? [`parse_mode ${String(c.body.parse_mode)}`] : []),
          ],
        };
      });
    return renderInbox("Telegram", groupInbox(received));
  };

  const server = await startServer(async (req, res, url) => {
    if (url.pathname.startsWith("/__fake/")) {
      if (await handleCommonControl(req, res, url, "telegram", { calls: api.calls, reset: api.reset, inbox })) return;
      const route = `${req.method} ${url.pathname}`;
      if (route === "POST /__fake/telegram/users") return handleScript(req, res, parseTelegramUser, (u) => users.set(u.id, u));
      if (route === "POST /__fake/telegram/chats") return handleScript(req, res, parseTelegramChat, (c) => chats.set(c.id, c));
      return sendJson(res, 404, { ok: false, error: "unknown control route" });
    }
    return botApi(req, res, url);
  }, options);

  return { url: server.origin, port: server.port, ...api, stop: () => server.stop() };
}
