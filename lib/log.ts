// Never console.*: redaction by key and by value shape, on arguments, bindings and error messages alike.
import pino from "pino";
import { logLevelFromEnv } from "./config";

const SENSITIVE_KEY =
  /authorization|cookie|token|secret|password|passwd|api[-_]?key|initdata|ciphertext|session[-_]?id|link[-_]?id|code[-_]?verifier|nonce|master[-_]?keys?|auth(?:orization)?[-_]?code|^value$|^s$|^state$|^hash$|^key$/i;
const SENSITIVE_VALUES: Array<[RegExp, string]> = [
  [/\bgh_(?:svc|job)_[A-Za-z0-9_-]{20,}/g, "[redacted]"],
  [/\b((?:s|session|gh_session|__Host-gh_session|gh_pending|__Host-gh_pending)(?:=|%3D))[A-Za-z0-9_%-]{20,}/gi, "$1[redacted]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)[^@/?#\s]+@/gi, "$1[redacted]@"],
  [/\/bot\d+:[A-Za-z0-9_-]+/g, "/bot[redacted]"],
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, "[redacted]"],
];
const REDACTED = "[redacted]";

/** Tokens, link and session ids, credentials in URLs: out of any text (scripts/dev.ts filters `next dev` with it). */
export function redactString(value: string): string {
  return SENSITIVE_VALUES.reduce((s, [pattern, replacement]) => s.replace(pattern, replacement), value);
}

function errorMessage(err: Error): string {
  // Prisma's errors echo the call and, for validation errors, the whole argument tree (values included); keep
  // the verdict only.
  if (err.name.startsWith("PrismaClient")) return err.message.trim().split("\n").filter(Boolean).pop() ?? "query failed";
  return err.message;
}

/** The stack's frames under the (already cleaned) message: a stack starts with the raw message, arguments and all. */
function errorStack(err: Error, message: string): string {
  const frames = (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return redactString([`${err.name}: ${message}`, ...frames].join("\n"));
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "string") return redactString(value);
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return "[bytes]";
  if (value instanceof Error) {
    const { code, digest } = value as { code?: unknown; digest?: unknown };
    const message = redactString(errorMessage(value));
    return {
      type: value.name,
      message,
      ...(typeof code === "string" ? { code } : {}),
      // Next's digest is what the 500 page shows as its reference: the log line must carry it too.
      ...(typeof digest === "string" ? { digest: digest.slice(0, 64) } : {}),
      stack: errorStack(value, message),
      ...(value.cause !== undefined ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SENSITIVE_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

/** Child bindings skip the log formatter, so every child (and grandchild) redacts its bindings itself. */
function redactChildren(logger: pino.Logger): pino.Logger {
  const child = logger.child.bind(logger);
  logger.child = ((bindings: pino.Bindings, options?: pino.ChildLoggerOptions) =>
    redactChildren(child(redact(bindings) as pino.Bindings, options))) as unknown as typeof logger.child;
  return logger;
}

export function createLogger(destination?: pino.DestinationStream) {
  const logger = pino(
    {
      level: logLevelFromEnv(),
      base: { service: "gatehouse" },
      // Errors are already turned into redacted plain objects by `redact`; pino must not re-serialise them.
      serializers: { err: (value: unknown) => value },
      formatters: {
        log: (obj) => redact(obj) as Record<string, unknown>,
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // An Error or object without a message: give pino a redacted message so it never copies err.message.
          const cleaned = [redact(first), ...rest.map((a) => (typeof a === "string" ? redactString(a) : redact(a)))];
          if (first instanceof Error && rest.length === 0) cleaned.push(redactString(errorMessage(first)));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  return redactChildren(logger);
}

export const log = createLogger();

/**
 * Next prints a route's uncaught error (a Prisma error with its arguments, say) with console.error, past this
 * logger. Called once at start-up in the Node runtime (instrumentation.ts): console.error and console.warn go
 * through the redaction above instead.
 */
export function routeConsoleThroughLog(logger: pino.Logger = log) {
  // Each argument is redacted before anything is cut (a cut id would no longer look like one), and nothing a
  // caller passes (a BigInt, a cycle) may make logging itself throw inside Next's error handling.
  const show = (a: unknown): string => {
    if (typeof a === "string") return redactString(a);
    try {
      return JSON.stringify(redact(a), (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(a);
    } catch {
      return "[unprintable]";
    }
  };
  const send = (level: "error" | "warn") => (...args: unknown[]) => {
    try {
      const errors = args.filter((a): a is Error => a instanceof Error);
      const text = args.filter((a) => !(a instanceof Error)).map(show).join(" ").slice(0, 2000);
      const [err, ...more] = errors;
      logger[level]({ ...(err ? { err } : {}), ...(more.length ? { more: more.map((e) => redact(e)) } : {}), source: "console" }, text || (err ? redactString(errorMessage(err)) : ""));
    } catch {
      // The logger itself failed: say so without the arguments rather than throw from console.error.
      process.stderr.write(`{"level":50,"msg":"console.${level} could not be logged"}\n`);
    }
  };
  // The one place console is touched: replacing it.
  // eslint-disable-next-line no-console
  console.error = send("error");
  // eslint-disable-next-line no-console
  console.warn = send("warn");
}
