// The operator CLI's command shape (scripts/gatehouse.ts). Only types and node: built-ins: the entry imports this
// at load, and --help must load no package.

export type Options = Record<string, string | boolean | undefined>;
export type Io = {
  out: (text: string) => void;
  err: (text: string) => void;
  stdin?: () => Promise<string>;
  /** Writes chunks to stdout as they come, honouring backpressure; absent in batch (stdout holds the answers). */
  stream?: (chunks: AsyncIterable<string>) => Promise<void>;
};
/** A command that streamed its output has nothing more to print. */
export const STREAMED = Symbol("streamed");
export type Command = {
  name: string;
  options: Record<string, { type: "string" | "boolean" }>;
  required: string[];
  /** Runs with no configuration and no database (offline verification): nothing is loaded or checked first. */
  offline?: (o: Options) => boolean;
  run: (o: Options, io: Io) => Promise<Record<string, unknown> | typeof STREAMED>;
};

export const str = { type: "string" } as const;

export class UsageError extends Error {}

export function uuid(value: unknown, flag: string): string {
  if (typeof value !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new UsageError(`--${flag} must be an id (uuid), got "${String(value)}"`);
  }
  return value.toLowerCase();
}
