// The admin's audit filters (SPEC §13), shared by the list, the count and the export. One rule for every caller:
// a value that does not fit is a 400 validation_failed naming the field, never silently widened to "everything".
import "server-only";
import { Prisma, type ActorType } from "@/generated/prisma/client";
import { AppError } from "../errors";

export const ACTOR_TYPES = ["user", "admin", "service", "job", "system"] as const satisfies readonly ActorType[];
// audit_events.seq is a Postgres int4.
export const MAX_SEQ = 2_147_483_647;
const MIN_DATE = new Date("0001-01-01T00:00:00Z").getTime();
const MAX_DATE = new Date("9999-12-31T23:59:59.999Z").getTime();
const ACTION = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*(?:\.\*)?$/;

export type AuditFilters = {
  /** Exact (`secret.deleted`), or every action under a prefix (`secret.*`). */
  action?: string;
  actorType?: ActorType;
  actorId?: string;
  /** Exact, e.g. `user:<id>` or `job:<id>`. */
  target?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
};

function fail(fields: Record<string, string>): never {
  throw new AppError("validation_failed", "The audit filters are invalid.", { details: { fields } });
}

/** Checks typed filters (from code); returns them with empty strings dropped. */
export function checkFilters(f: AuditFilters = {}): AuditFilters {
  const bad: Record<string, string> = {};
  const out: AuditFilters = {};
  const text = (name: "actorId" | "target", max: number) => {
    const v = f[name];
    if (v === undefined || v === "") return;
    if (typeof v !== "string" || v.length > max || /[\u0000-\u001f]/.test(v)) bad[name] = `must be text of at most ${max} characters`;
    else out[name] = v;
  };
  if (f.action !== undefined && f.action !== "") {
    if (typeof f.action !== "string" || f.action.length > 100 || !ACTION.test(f.action)) bad.action = 'must be an action ("secret.deleted") or a prefix ("secret.*")';
    else out.action = f.action;
  }
  if (f.actorType !== undefined) {
    if (!(ACTOR_TYPES as readonly string[]).includes(f.actorType)) bad.actorType = `must be one of ${ACTOR_TYPES.join(", ")}`;
    else out.actorType = f.actorType;
  }
  text("actorId", 200);
  text("target", 300);
  for (const name of ["from", "to"] as const) {
    const v = f[name];
    if (v === undefined) continue;
    if (!(v instanceof Date) || Number.isNaN(v.getTime()) || v.getTime() < MIN_DATE || v.getTime() > MAX_DATE) bad[name] = "must be a date and time between the years 1 and 9999";
    else out[name] = v;
  }
  if (Object.keys(bad).length) fail(bad);
  return out;
}

/** A keyset cursor or page size from code: a whole number in [min, max]. */
export function checkInt(name: string, v: number | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < min || v > max) fail({ [name]: `must be a whole number from ${min} to ${max}` });
  return v;
}

type RawQuery = URLSearchParams | Record<string, string | string[] | undefined>;

/** Filters and paging from a query string (an admin page or an API route); unknown parameters are refused. */
export function parseAuditQuery(raw: RawQuery, allowed: readonly string[] = ["action", "actorType", "actorId", "target", "from", "to", "before", "limit"]) {
  const entries: [string, string | string[] | undefined][] = raw instanceof URLSearchParams ? [...new Set(raw.keys())].map((k) => [k, raw.getAll(k)]) : Object.entries(raw);
  const values: Record<string, string> = {};
  const bad: Record<string, string> = {};
  for (const [key, value] of entries) {
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    if (!allowed.includes(key)) bad[key] = "is not a known parameter";
    else if (list.length > 1) bad[key] = "must be given once";
    else if (list.length === 1 && list[0] !== "") values[key] = list[0]!;
  }
  const date = (key: string) => {
    const v = values[key];
    if (v === undefined) return undefined;
    const d = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(v) ? new Date(v) : new Date(Number.NaN);
    // Postgres timestamps start at year 1 (and Prisma refuses year 0): anything outside 0001..9999 UTC is no date.
    if (Number.isNaN(d.getTime()) || d.getTime() < MIN_DATE || d.getTime() > MAX_DATE) bad[key] = "must be an ISO 8601 date (2026-12-01) or date and time with offset (2026-12-01T09:30:00Z)";
    return d;
  };
  const int = (key: string) => {
    const v = values[key];
    if (v === undefined) return undefined;
    if (!/^(?:0|[1-9][0-9]{0,9})$/.test(v)) bad[key] = "must be a whole number";
    return Number(v);
  };
  const parsed = { from: date("from"), to: date("to"), before: int("before"), after: int("after"), limit: int("limit") };
  if (Object.keys(bad).length) fail(bad);
  const filters = checkFilters({
    action: values.action,
    actorType: values.actorType as ActorType | undefined,
    actorId: values.actorId,
    target: values.target,
    from: parsed.from,
    to: parsed.to,
  });
  return { filters, beforeSeq: parsed.before, afterSeq: parsed.after, limit: parsed.limit };
}

/** The WHERE terms after `workspace_id = …`; every value is a bound parameter. */
export function filterSql(f: AuditFilters): Prisma.Sql {
  const terms: Prisma.Sql[] = [];
  if (f.action?.endsWith(".*")) terms.push(Prisma.sql`action LIKE ${`${f.action.slice(0, -1).replace(/_/g, "\\_")}%`}`);
  else if (f.action) terms.push(Prisma.sql`action = ${f.action}`);
  if (f.actorType) terms.push(Prisma.sql`actor_type = ${f.actorType}::"ActorType"`);
  if (f.actorId) terms.push(Prisma.sql`actor_id = ${f.actorId}`);
  if (f.target) terms.push(Prisma.sql`target = ${f.target}`);
  if (f.from) terms.push(Prisma.sql`created_at >= ${f.from}`);
  if (f.to) terms.push(Prisma.sql`created_at < ${f.to}`);
  return terms.length ? Prisma.sql` AND ${Prisma.join(terms, " AND ")}` : Prisma.empty;
}

/** The same terms for the pg driver: numbered parameters from $`first` on. */
export function filterText(f: AuditFilters, first: number): { sql: string; values: unknown[] } {
  const sql = filterSql(f);
  // Prisma.Sql numbers its own placeholders from $1; shift them after the caller's.
  const text = sql.sql === "" ? "" : sql.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + first - 1}`);
  return { sql: text, values: sql.values };
}

export function isFiltered(f: AuditFilters): boolean {
  return Object.values(f).some((v) => v !== undefined);
}
