// Infrastructure failures are recognised here too, so every mapper answers 503.

const CODES = {
  bad_request: [400, "The request is malformed."],
  invalid_json: [400, "The request body is not valid JSON."],
  validation_failed: [400, "The request has invalid fields."],
  unauthorized: [401, "Authentication is required."],
  unsupported_auth_scheme: [401, "Use the Bearer scheme: Authorization: Bearer <token>."],
  invalid_token: [401, "The token is missing, invalid, expired or revoked."],
  invalid_init_data: [401, "The Telegram sign-in data could not be verified. Open the Mini App again from the bot."],
  forbidden: [403, "You are not allowed to do this."],
  cross_origin: [403, "Cross-origin requests are not allowed."],
  not_a_member: [403, "The user is not a member of this workspace."],
  not_found: [404, "Not found."],
  method_not_allowed: [405, "Method not allowed."],
  conflict: [409, "The request conflicts with the current state."],
  already_member: [409, "The user is already a member of this workspace."],
  already_rotated: [409, "This token was already rotated; use the token the rotation returned."],
  last_owner: [409, "A workspace must keep at least one owner."],
  link_expired: [410, "This link has expired or was already used. Ask your agent for a new one."],
  invite_invalid: [410, "This invite code is not valid: it may be mistyped, expired, used up or revoked. Ask for a new one."],
  payload_too_large: [413, "The request body is too large."],
  unsupported_media_type: [415, "Unsupported content type."],
  invalid_grants: [422, "Some grants are invalid."],
  invalid_delivery: [422, "The delivery chat is not one where Gatehouse can reach the job's owner."],
  rate_limited: [429, "Too many requests. Wait a moment and try again."],
  internal_error: [500, "Something went wrong on our side."],
  unavailable: [503, "The service is temporarily unavailable. Try again shortly."],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorCode = keyof typeof CODES;

/** Where a page must say more than the code (the HTML mapper picks its page by it), or lib must know more than the
 * caller is told (`token_dead`: no live token has that hash, which nothing can undo). Never rendered in JSON. */
export type ErrorReason = "identity_mismatch" | "telegram_mismatch" | "sign_in_failed" | "no_portal_session" | "token_dead" | "not_admin" | "no_admin_session";

export type AppErrorOptions = { details?: Record<string, unknown>; headers?: Record<string, string>; reason?: ErrorReason };

export class AppError extends Error {
  readonly status: number;
  readonly details?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly reason?: ErrorReason;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    { details, headers, reason }: AppErrorOptions = {},
  ) {
    super(message ?? CODES[code][1]);
    this.name = "AppError";
    this.status = CODES[code][0];
    this.details = details;
    this.headers = headers;
    this.reason = reason;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"]);
// Prisma: can't reach server, timed out, closed, pool timeout, could not start a transaction.
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
// Driver adapter error kinds that mean "the database is not there", not "the query is wrong".
const ADAPTER_UNAVAILABLE = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TransactionAlreadyClosed"]);

function isUnavailableSqlState(code: string) {
  // 08xxx connection exceptions, 53300 too many connections, 57P01-03 admin/crash shutdown, cannot connect now.
  return /^08[0-9A-Z]{3}$/.test(code) || code === "53300" || /^57P0[1-3]$/.test(code);
}

/** 503, never 500. Query errors (bad SQL, constraint violations) are not infrastructure. */
export function isInfrastructureError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; meta?: unknown; kind?: unknown };
  const code = typeof e.code === "string" ? e.code : "";
  if (NETWORK_CODES.has(code) || PRISMA_UNAVAILABLE.has(code) || isUnavailableSqlState(code)) return true;
  if (typeof e.kind === "string" && ADAPTER_UNAVAILABLE.has(e.kind)) return true;
  if (e.name === "MaxRetriesPerRequestError" || e.name === "ClusterAllFailedError") return true;
  const message = typeof e.message === "string" ? e.message : "";
  // Redis replies of a server that cannot serve right now (failover, loading, cluster reconfiguring, full).
  if (/^(READONLY|LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|OOM|BUSY|NOREPLICAS|UNBLOCKED)\b/.test(message)) return true;
  // A WAIT that reached a master demoted meanwhile.
  if (/WAIT cannot be used with replica/i.test(message)) return true;
  if (/Connection is closed|Command timed out|Stream isn't writeable|timeout exceeded when trying to connect|Connection terminated|not queryable|Query read timeout/i.test(message)) return true;
  // ioredis: a Cluster that cannot find its nodes, or Sentinels that cannot name a master.
  if (/Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|Too many Cluster redirections|All sentinels are unreachable|No sentinels|Reached the max retries per request/i.test(message)) return true;
  const meta = e.meta as { driverAdapterError?: unknown } | undefined;
  if (meta?.driverAdapterError && isInfrastructureError(meta.driverAdapterError, depth + 1)) return true;
  return e.cause !== undefined && e.cause !== err ? isInfrastructureError(e.cause, depth + 1) : false;
}
