import type { Metadata } from "next";
import Link from "next/link";
import { countWorkspace } from "@/lib/admin/overview";
import { memberNames } from "@/lib/admin/people";
import { listAuditEvents } from "@/lib/audit/admin-list";
import { auditStatus } from "@/lib/audit/status";
import { listAdminSessions } from "@/lib/admin/sessions";
import { listWorkspacePortalSessions } from "@/lib/portal/sessions";
import { requireAdmin } from "./_admin";
import { actionLabel } from "./audit/_labels";
import { Card, PageHeading, Time } from "./_ui";

export const metadata: Metadata = { title: "Overview" };

function Stat({ label, value, href }: { label: string; value: number; href: string }) {
  return (
    <Link href={href} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm hover:border-indigo-300 focus-visible:outline-2 focus-visible:outline-indigo-700">
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-2xl font-bold tabular-nums" data-testid={`stat-${href.split("/").pop()}`}>{value}</p>
    </Link>
  );
}

export default async function OverviewPage() {
  const admin = await requireAdmin();
  const workspaceId = admin.workspace.id;
  const [counts, portal, consoles, status, recent, names] = await Promise.all([
    countWorkspace({ workspaceId }),
    listWorkspacePortalSessions({ workspaceId }),
    listAdminSessions({ workspaceId }),
    auditStatus({ workspaceId }),
    listAuditEvents({ workspaceId, limit: 8 }),
    memberNames({ workspaceId }),
  ]);
  const healthy = status.chain.ok && status.checkpointsValid;
  return (
    <>
      <PageHeading title="Overview" description={`${admin.workspace.name} at a glance: who is in it, what is running, and what happened lately.`} />
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Members" value={counts.members} href="/admin/members" />
        <Stat label="Running jobs" value={counts.runningJobs} href="/admin/jobs" />
        <Stat label="Active service tokens" value={counts.activeServiceTokens} href="/admin/tokens" />
        <Stat label="Signed-in sessions" value={portal.length + consoles.length} href="/admin/sessions" />
      </div>
      <div className="mt-6 grid items-start gap-6 lg:grid-cols-[1fr_1.4fr]">
        <Card>
          <h2 className="font-semibold">Audit log integrity</h2>
          <p className={`mt-2 text-sm font-semibold ${healthy ? "text-emerald-800" : "text-red-800"}`} data-testid="overview-chain">
            {!status.chain.ok
              ? `The hash chain is broken at event ${status.chain.brokenAt}.`
              : !status.checkpointsValid
                ? `The signed checkpoint at event ${status.checkpointProblem?.seq} does not verify.`
                : `Intact: ${status.events.toLocaleString("en")} events, hash-chained${status.lastCheckpoint ? `, signed through event ${status.lastCheckpoint.seq}` : ""}.`}
          </p>
          {status.signing === "not_configured" ? <p className="mt-1 text-sm text-amber-800">Checkpoints are not signed: GATEHOUSE_AUDIT_SIGNING_KEY is not set.</p> : null}
          <p className="mt-3 text-sm text-slate-600">{counts.admins} of {counts.members} members are owners or admins.</p>
          <Link href="/admin/audit" className="mt-3 inline-block text-sm font-medium text-indigo-700 underline underline-offset-2">Open the audit log</Link>
        </Card>
        <Card className="p-0">
          <h2 className="px-5 pt-5 font-semibold">Recent events</h2>
          <ol className="mt-2 divide-y divide-slate-200" aria-label="Recent events">
            {recent.events.map((e) => (
              <li key={e.seq} className="px-5 py-3 text-sm">
                <p className="font-medium">{actionLabel(e.action)}</p>
                <p className="text-slate-600">
                  <Time value={e.createdAt} />
                  {e.actorId && (e.actorType === "user" || e.actorType === "admin") ? ` · ${names.get(e.actorId) ?? "former member"}` : e.actorType === "system" && e.actorId === "cli" ? " · operator CLI" : ""}
                </p>
              </li>
            ))}
          </ol>
        </Card>
      </div>
    </>
  );
}
