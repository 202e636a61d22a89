import type { Metadata } from "next";
import Link from "next/link";
import { listUserActivity, parseSeqCursor } from "@/lib/audit/list";
import { requirePortal } from "../_portal";
import { Card, formatTime, PageHeading } from "../_ui";

export const metadata: Metadata = { title: "Activity" };

const LABELS: Record<string, string> = {
  "link.created": "A settings link was created for you",
  "link.opened": "You opened a settings link",
  "link.rejected": "A settings link was refused",
  "identity.bound": "Your sign-in account was linked",
  "identity.verified": "Your sign-in account was verified",
  "identity.mismatch": "Someone signed in with a different account — refused",
  "portal.session.created": "Signed in to settings",
  "portal.session.revoked": "Signed out of settings",
  "telegram.session.created": "Signed in from Telegram",
  "member.added": "You were added to the workspace",
  "member.removed": "You were removed from the workspace",
};

export default async function ActivityPage({ searchParams }: { searchParams: Promise<{ before?: string }> }) {
  const { user, workspace } = await requirePortal();
  const before = parseSeqCursor((await searchParams).before);
  const { events, nextBefore } = await listUserActivity({ workspaceId: workspace.id, userId: user.id, beforeSeq: before });
  return (
    <>
      <PageHeading title="Activity" description="Everything recorded about your account in this workspace, newest first." />
      <Card className="p-0">
        {events.length === 0 ? (
          <p className="p-5 text-slate-600">Nothing recorded yet.</p>
        ) : (
          <ol className="divide-y divide-slate-200" aria-label="Activity">
            {events.map((e) => (
              <li key={e.seq} className="flex flex-wrap justify-between gap-2 p-4" data-testid="activity-row">
                <div>
                  <p className="font-medium">{LABELS[e.action] ?? e.action}</p>
                  <p className="text-xs text-slate-500">
                    <code>{e.action}</code>
                    {e.ip ? ` · IP ${e.ip}` : ""}
                  </p>
                </div>
                <time className="text-sm text-slate-600" dateTime={e.createdAt.toISOString()}>
                  {formatTime(e.createdAt)}
                </time>
              </li>
            ))}
          </ol>
        )}
      </Card>
      <nav aria-label="Activity pages" className="mt-4 flex gap-3">
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
