import type { Metadata } from "next";
import { memberNames } from "@/lib/admin/people";
import { listRunningJobs } from "@/lib/jobs/lifecycle";
import { requireAdmin, statusFrom } from "../_admin";
import { Card, ConfirmAction, EmptyState, PageHeading, StatusMessage, Time } from "../_ui";

export const metadata: Metadata = { title: "Jobs" };

const MESSAGES: Record<string, string> = { revoked: "The job was revoked. Its token no longer works.", not_found: "That job had already ended." };
const KIND = { secret: "secret", connection: "connection", mcp: "MCP server" } as const;

export default async function JobsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const status = await statusFrom(searchParams, MESSAGES);
  const [jobs, names] = await Promise.all([listRunningJobs({ workspaceId: admin.workspace.id }), memberNames({ workspaceId: admin.workspace.id })]);
  return (
    <>
      <PageHeading title="Jobs" description="Agent jobs running now, whose they are and what they were granted (names only, never values). Revoking one ends its token at once." />
      {status ? <div className="mb-4"><StatusMessage tone={status.tone}>{status.text}</StatusMessage></div> : null}
      {jobs.length === 0 ? (
        <EmptyState title="No jobs are running">Jobs appear here while the orchestrator runs an agent for a member.</EmptyState>
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200" aria-label="Running jobs">
            {jobs.map((j) => (
              <li key={j.jobId} className="flex flex-wrap items-start justify-between gap-3 p-5" data-testid="job-row">
                <div className="min-w-0">
                  <p className="font-medium">
                    Job <code className="text-sm">{j.jobId.slice(0, 8)}</code> for {names.get(j.ownerUserId) ?? "a former member"}
                  </p>
                  <p className="text-sm text-slate-600">
                    Started <Time value={j.createdAt} /> · expires <Time value={j.expiresAt} relative />
                    {j.delivery ? ` · delivers to ${j.delivery}` : ""}
                  </p>
                  <p className="mt-1 text-sm text-slate-700">
                    {j.grants.length === 0
                      ? "No grants."
                      : j.grants.map((g, i) => (
                          <span key={g.envVar}>
                            {i ? ", " : "Grants: "}
                            <code>{g.envVar}</code> ← {KIND[g.kind]} <code className="break-all">{g.name}</code>
                          </span>
                        ))}
                  </p>
                </div>
                <ConfirmAction
                  action="/admin/jobs/revoke"
                  fields={{ job: j.jobId }}
                  label="Revoke"
                  srLabel={`job ${j.jobId.slice(0, 8)}`}
                  question="Revoke this job? Its token stops working at once and it can no longer read credentials."
                  confirm="Revoke job"
                />
              </li>
            ))}
          </ul>
        </Card>
      )}
    </>
  );
}
