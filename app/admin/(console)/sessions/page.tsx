import type { Metadata } from "next";
import { memberNames } from "@/lib/admin/people";
import { listAdminSessions } from "@/lib/admin/sessions";
import { listWorkspacePortalSessions } from "@/lib/portal/sessions";
import { requireAdmin, statusFrom } from "../_admin";
import { Card, ConfirmAction, describeAgent, EmptyState, PageHeading, StatusMessage, Time } from "../_ui";

export const metadata: Metadata = { title: "Sessions" };

const MESSAGES: Record<string, string> = { ended: "The session was ended.", not_found: "That session had already ended." };
const METHOD = { link: "link", oauth: "link + sign-in", telegram: "Telegram" } as const;


export default async function SessionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const status = await statusFrom(searchParams, MESSAGES);
  const [portal, consoles, names] = await Promise.all([
    listWorkspacePortalSessions({ workspaceId: admin.workspace.id }),
    listAdminSessions({ workspaceId: admin.workspace.id }),
    memberNames({ workspaceId: admin.workspace.id }),
  ]);
  const rows = [
    ...consoles.map((s) => ({ kind: "admin" as const, ...s })),
    ...portal.map((s) => ({ kind: "portal" as const, ...s })),
  ].sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return (
    <>
      <PageHeading title="Sessions" description="Every signed-in portal and admin console session of this workspace. End any you don't recognise; the person must open a new link." />
      {status ? <div className="mb-4"><StatusMessage tone={status.tone}>{status.text}</StatusMessage></div> : null}
      {rows.length === 0 ? (
        <EmptyState title="Nobody is signed in">Sessions appear here when someone opens a settings or admin link.</EmptyState>
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200" aria-label="Active sessions">
            {rows.map((s) => {
              const name = names.get(s.userId) ?? "Former member";
              const mine = s.kind === "admin" && s.ref === admin.session.ref;
              return (
                <li key={`${s.kind}:${s.ref}`} className="flex flex-wrap items-center justify-between gap-3 p-5" data-testid="session-row">
                  <div>
                    <p className="font-medium">
                      {name}{" "}
                      <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${s.kind === "admin" ? "bg-indigo-100 text-indigo-900" : "bg-slate-100 text-slate-700"}`}>
                        {s.kind === "admin" ? "Admin console" : "Settings portal"}
                      </span>
                      {mine ? <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">This session</span> : null}
                    </p>
                    <p className="text-sm text-slate-600">
                      {describeAgent(s.userAgent)} · signed in <Time value={new Date(s.createdAt)} /> via {METHOD[s.method]} · last seen <Time value={new Date(s.lastSeenAt)} /> · IP {s.ip ?? "unknown"}
                    </p>
                  </div>
                  {mine ? null : (
                    <ConfirmAction
                      action="/admin/sessions/end"
                      fields={{ kind: s.kind, ref: s.ref }}
                      label="End session"
                      srLabel={`of ${name}`}
                      question={`End this ${s.kind === "admin" ? "admin console" : "portal"} session of ${name}? They will need a new link to sign in again.`}
                      confirm="End session"
                    />
                  )}
                </li>
              );
            })}
          </ul>
        </Card>
      )}
    </>
  );
}
