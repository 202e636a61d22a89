import { AppError } from "../errors";

export type OutboundFailure =
  | "invalid_url"
  | "not_https"
  | "credentials_in_url"
  | "forbidden_address"
  | "forbidden_resolved"
  | "too_many_redirects"
  | "bad_redirect"
  | "timeout"
  | "too_large"
  | "network"
  | "invalid_json";

// Fixed sentences: never an address Gatehouse resolved, never a byte of what the server answered.
const MESSAGES: Record<OutboundFailure, string> = {
  invalid_url: "The URL is not valid.",
  not_https: "The URL must use https.",
  credentials_in_url: "The URL must not contain a user name or password.",
  forbidden_address: "The URL leads to an address Gatehouse does not connect to (private, loopback, link-local or metadata).",
  // A name that resolves to a forbidden address reads like one that does not resolve, so users cannot map which
  // internal names exist through Gatehouse's resolver; the kind tells the two apart in logs.
  forbidden_resolved: "The server could not be reached.",
  too_many_redirects: "The server redirected too many times.",
  bad_redirect: "The server sent a redirect Gatehouse does not follow.",
  timeout: "The server did not answer in time.",
  too_large: "The server's response is larger than Gatehouse accepts.",
  network: "The server could not be reached.",
  invalid_json: "The server's response is not valid JSON.",
};

// The URL (or where it led) breaks a rule: the caller's input is wrong. Everything else: the server is unavailable.
const URL_RULES = new Set<OutboundFailure>(["invalid_url", "not_https", "credentials_in_url", "forbidden_address", "bad_redirect"]);

export class OutboundError extends AppError {
  constructor(
    readonly kind: OutboundFailure,
    /** Node's error code (ECONNREFUSED, CERT_HAS_EXPIRED, …) for logs; never a message, which may name an address. */
    readonly networkCode?: string,
  ) {
    super(URL_RULES.has(kind) ? "bad_request" : "unavailable", MESSAGES[kind]);
    this.name = "OutboundError";
  }
}

export function isOutboundError(err: unknown): err is OutboundError {
  return err instanceof OutboundError;
}
