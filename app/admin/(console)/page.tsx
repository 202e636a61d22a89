import type { Metadata } from "next";
import Link from "next/link";
import { countWorkspace } from "@/lib/admin/overview";
import { listAdminSessions } from "@/lib/admin/sessions";
import { listWorkspacePortalSessions } from "@/lib/portal/sessions";
import { requireAdmin } from "./_admin";
import { Card, PageHeading } from "./_ui";

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
  const [counts, portal, consoles] = await Promise.all([countWorkspace({ workspaceId }), listWorkspacePortalSessions({ workspaceId }), listAdminSessions({ workspaceId })]);
  return (
    <>
      <PageHeading title="Overview" description={`${admin.workspace.name} at a glance: who is in it, what is running, and what happened lately.`} />
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Stat label="Members" value={counts.members} href="/admin/members" />
        <Stat label="Running jobs" value={counts.runningJobs} href="/admin/jobs" />
        <Stat label="Active service tokens" value={counts.activeServiceTokens} href="/admin/tokens" />
        <Stat label="Signed-in sessions" value={portal.length + consoles.length} href="/admin/sessions" />
      </div>
      <Card className="mt-6">
        <p className="text-sm text-slate-600">{counts.admins} of {counts.members} members are owners or admins.</p>
      </Card>
    </>
  );
}
