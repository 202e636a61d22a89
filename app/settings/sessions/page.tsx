import type { Metadata } from "next";
import { listPortalSessions } from "@/lib/portal/sessions";
import { requirePortal } from "../_portal";
import { Card, describeAgent, formatTime, PageHeading } from "../_ui";

export const metadata: Metadata = { title: "Sessions" };


const METHOD = { link: "settings link", oauth: "settings link + sign-in", telegram: "Telegram" } as const;

export default async function SessionsPage() {
  const { session, user, workspace } = await requirePortal();
  const sessions = await listPortalSessions({ workspaceId: workspace.id, userId: user.id });
  const others = sessions.filter((s) => s.ref !== session.ref).length;
  return (
    <>
      <PageHeading title="Sessions" description="Where you are signed in to these settings. Sign out of any session you don't recognise." />
      <Card className="p-0">
        <ul className="divide-y divide-slate-200" aria-label="Active sessions">
          {sessions.map((s) => (
            <li key={s.ref} className="flex flex-wrap items-center justify-between gap-3 p-5" data-testid="session-row">
              <div>
                <p className="font-medium">
                  {describeAgent(s.userAgent)}
                  {s.ref === session.ref ? (
                    <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">This device</span>
                  ) : null}
                </p>
                <p className="text-sm text-slate-600">
                  Signed in {formatTime(s.createdAt)} via {METHOD[s.method]} · last seen {formatTime(s.lastSeenAt)} · IP {s.ip ?? "unknown"}
                </p>
              </div>
              {s.ref === session.ref ? null : (
                <form method="post" action="/settings/sessions/revoke">
                  <input type="hidden" name="ref" value={s.ref} />
                  <button type="submit" className="rounded-lg border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50">
                    Sign out<span className="sr-only"> {describeAgent(s.userAgent)} session</span>
                  </button>
                </form>
              )}
            </li>
          ))}
        </ul>
      </Card>
      <form method="post" action="/settings/sessions/revoke-others" className="mt-4">
        <button
          type="submit"
          disabled={others === 0}
          className="rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:cursor-not-allowed disabled:opacity-50"
        >
          Sign out all other sessions{others ? ` (${others})` : ""}
        </button>
      </form>
    </>
  );
}
