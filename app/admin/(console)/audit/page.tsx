import type { Metadata } from "next";
import Link from "next/link";
import { memberNames } from "@/lib/admin/people";
import { countAuditEvents, listAuditEvents, type AuditEventView } from "@/lib/audit/admin-list";
import { ACTOR_TYPES, parseAuditQuery } from "@/lib/audit/filters";
import { auditStatus } from "@/lib/audit/status";
import { isAppError } from "@/lib/errors";
import { requireAdmin } from "../_admin";
import { Card, EmptyState, PageHeading, StatusMessage, Time } from "../_ui";
import { actionLabel, dataSummary } from "./_labels";
import { ExportButton } from "./export-button";

export const metadata: Metadata = { title: "Audit log" };

type Search = Record<string, string | string[] | undefined>;
const FILTER_KEYS = ["action", "actorType", "actorId", "target", "from", "to"] as const;

function actorName(e: AuditEventView, names: Map<string, string>) {
  if ((e.actorType === "user" || e.actorType === "admin") && e.actorId) return `${names.get(e.actorId) ?? "former member"}${e.actorType === "admin" ? " (admin)" : ""}`;
  if (e.actorType === "system") return e.actorId === "cli" ? "Operator CLI" : "Gatehouse";
  if (e.actorType === "service") return "Service token";
  if (e.actorType === "job") return `Job ${e.actorId?.slice(0, 8) ?? ""}`;
  return e.actorType;
}

function targetName(target: string | null, names: Map<string, string>) {
  if (!target) return null;
  if (target.startsWith("user:")) return names.get(target.slice(5)) ?? target;
  return target;
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  const admin = await requireAdmin();
  const workspaceId = admin.workspace.id;
  const raw = await searchParams;
  const current: Record<string, string> = {};
  for (const key of [...FILTER_KEYS, "before"]) if (typeof raw[key] === "string" && raw[key]) current[key] = raw[key] as string;

  let problem: string | null = null;
  let query: ReturnType<typeof parseAuditQuery> = { filters: {}, beforeSeq: undefined, afterSeq: undefined, limit: undefined };
  try {
    query = parseAuditQuery(current);
  } catch (err) {
    if (!isAppError(err) || err.code !== "validation_failed") throw err;
    const fields = (err.details?.fields ?? {}) as Record<string, string>;
    problem = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("; ");
  }
  const [page, total, status, names] = await Promise.all([
    problem ? { events: [], nextBefore: null } : listAuditEvents({ workspaceId, ...query.filters, beforeSeq: query.beforeSeq }),
    problem ? 0 : countAuditEvents({ workspaceId, filters: query.filters }),
    auditStatus({ workspaceId, full: raw.full === "1" }),
    memberNames({ workspaceId }),
  ]);
  const filterQuery = new URLSearchParams(Object.entries(current).filter(([k]) => k !== "before")).toString();
  const field = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";

  return (
    <>
      <PageHeading title="Audit log" description="Everything that happened in this workspace, in order, hash-chained and signed so that no one can quietly rewrite it." />
      <Card className="mb-6" >
        <h2 className="font-semibold">Integrity</h2>
        <dl className="mt-3 grid gap-3 text-sm sm:grid-cols-3" data-testid="audit-integrity">
          <div>
            <dt className="text-slate-600">Hash chain</dt>
            <dd className={`font-semibold ${status.chain.ok ? "text-emerald-800" : "text-red-800"}`} data-testid="chain-status">
              {status.chain.ok ? `Intact (${status.events.toLocaleString("en")} events)` : `Broken at event ${status.chain.brokenAt}`}
            </dd>
            <dd className="mt-1 text-xs text-slate-600" data-testid="chain-scope">
              {status.chain.full || status.chain.checkedFrom <= 1 ? (
                "Every event was re-hashed just now."
              ) : (
                <>
                  Events from #{status.chain.checkedFrom} on were re-hashed just now; earlier ones are vouched for by their signed
                  checkpoints.{" "}
                  <Link href={`/admin/audit?${new URLSearchParams({ ...current, full: "1" })}`} className="font-medium text-indigo-700 underline">
                    Re-hash every event
                  </Link>{" "}
                  (slower on long logs).
                </>
              )}
            </dd>
          </div>
          <div>
            <dt className="text-slate-600">Signed checkpoints</dt>
            <dd className={`font-semibold ${status.checkpointsValid ? "text-emerald-800" : "text-red-800"}`} data-testid="checkpoint-status">
              {status.signing === "not_configured"
                ? "Signing is not configured (GATEHOUSE_AUDIT_SIGNING_KEY)"
                : !status.checkpointsValid
                  ? `Checkpoint at event ${status.checkpointProblem?.seq} does not verify`
                  : status.lastCheckpoint
                    ? <>Valid; latest at event {status.lastCheckpoint.seq}, <Time value={status.lastCheckpoint.createdAt} /></>
                    : "Valid; none yet"}
            </dd>
          </div>
          <div>
            <dt className="text-slate-600">Not yet signed</dt>
            <dd className="font-semibold">{status.uncheckpointed.toLocaleString("en")} newer events (signed hourly, or every 1,000)</dd>
          </div>
        </dl>
      </Card>

      <Card className="mb-6">
        <h2 className="mb-3 font-semibold">Filter</h2>
        <form method="get" action="/admin/audit" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
          <label className="text-sm font-medium text-slate-700">
            Action
            <input name="action" defaultValue={current.action ?? ""} placeholder="secret.deleted or secret.*" className={field} />
          </label>
          <label className="text-sm font-medium text-slate-700">
            Actor type
            <select name="actorType" defaultValue={current.actorType ?? ""} className={field}>
              <option value="">Any</option>
              {ACTOR_TYPES.map((t) => (
                <option key={t} value={t}>{t}</option>
              ))}
            </select>
          </label>
          <label className="text-sm font-medium text-slate-700">
            Actor id
            <input name="actorId" defaultValue={current.actorId ?? ""} placeholder="a user id, cli, …" className={field} />
          </label>
          <label className="text-sm font-medium text-slate-700">
            Target
            <input name="target" defaultValue={current.target ?? ""} placeholder="user:…, job:…, token:…" className={field} />
          </label>
          <label className="text-sm font-medium text-slate-700">
            From (UTC)
            <input name="from" type="date" defaultValue={current.from ?? ""} className={field} />
          </label>
          <label className="text-sm font-medium text-slate-700">
            Before (UTC)
            <input name="to" type="date" defaultValue={current.to ?? ""} className={field} />
          </label>
          <div className="flex items-end gap-2 sm:col-span-2 lg:col-span-3">
            <button type="submit" className="rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800">Apply filters</button>
            {filterQuery ? <Link href="/admin/audit" className="rounded-lg border border-slate-300 px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">Clear</Link> : null}
          </div>
        </form>
      </Card>

      {problem ? <div className="mb-4"><StatusMessage tone="error">These filters could not be used: {problem}.</StatusMessage></div> : null}

      <div className="mb-4">
        <ExportButton query={filterQuery} total={total} />
      </div>

      {page.events.length === 0 ? (
        <EmptyState title={filterQuery ? "No events match these filters" : "No events yet"} />
      ) : (
        <Card className="p-0">
          <ol className="divide-y divide-slate-200" aria-label="Audit events, newest first">
            {page.events.map((e) => {
              const summary = dataSummary(e.action, e.data);
              return (
                <li key={e.seq} className="grid gap-1 p-4 sm:grid-cols-[5rem_1fr]" data-testid="audit-row">
                  <p className="font-mono text-xs text-slate-500">#{e.seq}</p>
                  <div className="min-w-0">
                    <p className="font-medium">
                      {actionLabel(e.action)} <code className="ml-1 text-xs font-normal text-slate-500">{e.action}</code>
                    </p>
                    <p className="text-sm break-words text-slate-600">
                      <Time value={e.createdAt} /> · by {actorName(e, names)}
                      {e.target ? <> · on {targetName(e.target, names)}</> : null}
                      {e.ip ? <> · IP {e.ip}</> : null}
                    </p>
                    {summary ? <p className="text-sm text-slate-700">{summary}</p> : null}
                  </div>
                </li>
              );
            })}
          </ol>
        </Card>
      )}
      {page.nextBefore ? (
        <p className="mt-4">
          <Link
            href={`/admin/audit?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(filterQuery)), before: String(page.nextBefore) })}`}
            className="rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">
            Older events
          </Link>
        </p>
      ) : null}
    </>
  );
}
