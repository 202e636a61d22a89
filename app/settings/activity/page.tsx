import type { Metadata } from "next";
import Link from "next/link";
import { parseSeqCursor } from "@/lib/audit/list";
import { listPortalActivity } from "@/lib/portal/activity";
import { requirePortal } from "../_portal";
import { Card, formatTime, PageHeading } from "../_ui";
import { describeEvent } from "./_describe";

export const metadata: Metadata = { title: "Activity" };

export default async function ActivityPage({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  const { user, workspace } = await requirePortal();
  const before = parseSeqCursor((await searchParams).before);
  const { events, nextBefore } = await listPortalActivity({ workspaceId: workspace.id, userId: user.id, beforeSeq: before });
  return (
    <>
      <PageHeading
        title="Activity"
        description="Everything recorded about your account, your secrets and your agents' jobs in this workspace, newest first."
      />
      <Card className="p-0">
        {events.length === 0 ? (
          <p className="p-5 text-slate-600">Nothing recorded yet.</p>
        ) : (
          <ol className="divide-y divide-slate-200" aria-label="Activity">
            {events.map((e) => {
              const { text, by } = describeEvent(e, user.id);
              // Only the user's own addresses: the orchestrator's and the job sandboxes' are not theirs to see.
              const ip = e.actorType === "user" && e.actorId === user.id ? e.ip : null;
              return (
                <li key={e.seq} className="flex flex-col gap-x-4 gap-y-1 p-4 sm:flex-row sm:justify-between" data-testid="activity-row" data-action={e.action}>
                  <div className="min-w-0 flex-1">
                    <p className="font-medium break-words">{text}</p>
                    {by || ip ? (
                      <p className="text-xs text-slate-500">
                        {by ? `By ${by}` : ""}
                        {by && ip ? " · " : ""}
                        {ip ? `IP ${ip}` : ""}
                      </p>
                    ) : null}
                  </div>
                  <time className="shrink-0 text-sm whitespace-nowrap text-slate-600 sm:text-right" dateTime={e.createdAt.toISOString()}>
                    {formatTime(e.createdAt)}
                  </time>
                </li>
              );
            })}
          </ol>
        )}
      </Card>
      <nav aria-label="Activity pages" className="mt-4 flex gap-3 empty:hidden">
        {before ? (
          <Link href="/settings/activity" className="font-medium text-indigo-700 hover:underline">
            Newest
          </Link>
        ) : null}
        {nextBefore ? (
          <Link href={`/settings/activity?before=${nextBefore}`} className="font-medium text-indigo-700 hover:underline">
            Older events
          </Link>
        ) : null}
      </nav>
    </>
  );
}
