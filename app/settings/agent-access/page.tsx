import type { Metadata } from "next";
import Link from "next/link";
import { isJobId } from "@/lib/jobs/ids";
import { listActiveJobs, type ActiveJob } from "@/lib/jobs/lifecycle";
import { requirePortal } from "../_portal";
import { buttonStyles, Card, PageHeading, shortJobId, StatusMessage, Time } from "../_ui";

export const metadata: Metadata = { title: "Agent access" };

type SearchParams = Record<string, string | string[] | undefined>;

const PLATFORMS: Record<string, string> = { telegram: "Telegram", slack: "Slack" };

export default async function AgentAccessPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { user, workspace } = await requirePortal();
  const [jobs, params] = await Promise.all([listActiveJobs({ workspaceId: workspace.id, userId: user.id }), searchParams]);
  const revoked = isJobId(params.revoked) ? params.revoked : null;
  const notFound = params.error === "not_found";

  return (
    <>
      <PageHeading
        title="Agent access"
        description="Agent jobs that are running for you now, and the secrets you granted them. Revoking ends a job's access at once."
      />
      <div className="mb-6 empty:hidden">
        {revoked ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">Access revoked for job {shortJobId(revoked)}.</strong> Its token no longer works and it can
            no longer fetch your secrets.
          </StatusMessage>
        ) : notFound ? (
          <StatusMessage tone="error">That job is not one of your running jobs, so nothing was changed.</StatusMessage>
        ) : null}
      </div>

      <section aria-labelledby="running-jobs">
        <h2 id="running-jobs" className="mb-3 text-lg font-semibold">
          Running jobs{jobs.length ? ` (${jobs.length})` : ""}
        </h2>
        {jobs.length === 0 ? (
          <Card>
            <p className="font-medium">No agent jobs are running for you right now.</p>
            <p className="mt-1 text-sm text-slate-600">
              When an agent starts a job for you, it appears here with the secrets it was granted and when its access ends. You can
              revoke a job&rsquo;s access at any time; access also ends by itself when the job finishes or expires. Manage the secrets
              themselves under{" "}
              <Link href="/settings/secrets" className="font-medium text-indigo-700 underline-offset-2 hover:underline">
                Secrets
              </Link>
              .
            </p>
          </Card>
        ) : (
          <ul className="grid gap-4" aria-label="Running jobs">
            {jobs.map((job) => (
              <JobCard key={job.jobId} job={job} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function JobCard({ job }: { job: ActiveJob }) {
  const short = shortJobId(job.jobId);
  const deleted = job.grants.filter((g) => !g.available).length + job.connections.filter((c) => c.state !== "active").length;
  return (
    <li data-testid="job-row" data-job-id={job.jobId}>
      <Card>
        {/* Revoke opens its confirmation below the heading row, like Delete on the Secrets page (globals.css). */}
        <div className="disclosure-row flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h3 className="font-semibold">
              Job <code title={job.jobId}>{short}</code>
            </h3>
            <p className="font-mono text-xs break-all text-slate-500">
              <span className="sr-only">Full job id: </span>
              {job.jobId}
            </p>
          </div>
          <details>
            <summary className={`list-none [&::-webkit-details-marker]:hidden ${buttonStyles.danger}`}>
              Revoke access<span className="sr-only"> of job {short}</span>
            </summary>
            <form
              method="post"
              action="/settings/agent-access/revoke"
              className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-950"
              data-testid="revoke-confirm">
              <input type="hidden" name="jobId" value={job.jobId} />
              <p>
                Revoke access of job <code className="font-semibold">{short}</code>? Its token stops working at once and it can no longer
                fetch {job.grants.length ? "the secrets granted to it" : "any of your secrets"}. The agent sees the job as revoked. This
                cannot be undone.
              </p>
              <button type="submit" className={`mt-3 ${buttonStyles.dangerSolid}`}>
                Yes, revoke access of job {short}
              </button>
            </form>
          </details>
        </div>

        <dl className="mt-3 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[auto_1fr]">
          <dt className="text-slate-600">Started</dt>
          <dd>
            <Time value={job.createdAt} relative />
          </dd>
          <dt className="text-slate-600">Access ends</dt>
          <dd>
            <Time value={job.expiresAt} relative />
          </dd>
          {job.delivery ? (
            <>
              <dt className="text-slate-600">Replies in</dt>
              <dd>{PLATFORMS[job.delivery] ?? job.delivery}</dd>
            </>
          ) : null}
        </dl>

        <p className="mt-4 text-sm font-medium">Granted secrets</p>
        {job.grants.length === 0 ? (
          <p className="mt-1 text-sm text-slate-600">None. This job cannot read any of your secrets.</p>
        ) : (
          <ul className="mt-1 divide-y divide-slate-100 rounded-lg border border-slate-200 text-sm" aria-label={`Secrets granted to job ${short}`}>
            {job.grants.map((g) => (
              <li key={g.envVar} className="flex flex-wrap items-center gap-x-2 gap-y-1 px-3 py-2" data-testid="job-grant">
                <code className={`font-semibold ${g.available ? "" : "text-slate-500 line-through"}`}>{g.secret}</code>{" "}
                <span aria-hidden="true">→</span>
                <span className="sr-only">as environment variable</span> <code>{g.envVar}</code>
                {g.available ? null : (
                  <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800">secret deleted</span>
                )}
              </li>
            ))}
          </ul>
        )}
        {job.connections.length ? (
          <>
            <p className="mt-4 text-sm font-medium">Granted connections</p>
            <ul className="mt-1 divide-y divide-slate-100 rounded-lg border border-slate-200 text-sm" aria-label={`Connections granted to job ${short}`}>
              {job.connections.map((c) => (
                <li key={c.envVar} className="flex flex-wrap items-center gap-x-2 gap-y-1 px-3 py-2" data-testid="job-connection">
                  <code className={`font-semibold break-all ${c.state === "deleted" ? "text-slate-500 line-through" : ""}`}>{c.ref}</code>{" "}
                  <span className="text-slate-600">{c.kind === "mcp" ? "MCP server" : "account"}</span>
                  <span aria-hidden="true">→</span>
                  <span className="sr-only">as environment variable</span> <code>{c.envVar}</code>
                  {c.state === "deleted" ? (
                    <span className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-800">disconnected</span>
                  ) : c.state === "needs_reconnect" ? (
                    <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">needs reconnect</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {deleted ? (
          <p className="mt-2 text-sm text-red-800">
            Because something granted to it was deleted, disconnected or needs a reconnect, this job can no longer fetch any credentials.
          </p>
        ) : null}
      </Card>
    </li>
  );
}
