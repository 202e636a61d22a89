import type { Metadata } from "next";
import { listInvites, type InviteSummary } from "@/lib/invites/manage";
import { canIssueInvite } from "@/lib/permissions";
import { requireAdmin, statusFrom } from "../_admin";
import { Card, ConfirmAction, EmptyState, PageHeading, RoleBadge, StatusMessage, Time } from "../_ui";
import { CreateInviteForm } from "./create-form";

export const metadata: Metadata = { title: "Invites" };

const MESSAGES: Record<string, string> = {
  revoked: "The invite was revoked. Its code no longer works.",
  not_found: "No such invite in this workspace.",
  forbidden: "Only an owner can revoke an admin invite.",
};
const STATE: Record<InviteSummary["state"], { label: string; className: string }> = {
  active: { label: "Active", className: "bg-emerald-100 text-emerald-800" },
  revoked: { label: "Revoked", className: "bg-slate-100 text-slate-700" },
  expired: { label: "Expired", className: "bg-slate-100 text-slate-700" },
  used_up: { label: "Used up", className: "bg-slate-100 text-slate-700" },
};

export default async function InvitesPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const status = await statusFrom(searchParams, MESSAGES);
  const invites = await listInvites({ workspaceId: admin.workspace.id });
  return (
    <>
      <PageHeading title="Invites" description="Invite codes let people join this workspace from the chat. A code is shown once; Gatehouse keeps only its hash." />
      {status ? <div className="mb-4"><StatusMessage tone={status.tone}>{status.text}</StatusMessage></div> : null}
      <Card className="mb-6">
        <h2 className="mb-3 font-semibold">Create an invite</h2>
        <CreateInviteForm canInviteAdmins={canIssueInvite(admin.role, "admin")} />
      </Card>
      {invites.length === 0 ? (
        <EmptyState title="No invites yet">Create one above and send its code to the people you want to invite.</EmptyState>
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200" aria-label="Invites">
            {invites.map((inv) => (
              <li key={inv.id} className="flex flex-col gap-3 p-5 sm:flex-row sm:items-start sm:justify-between" data-testid="invite-row">
                <div className="min-w-0">
                  <p className="font-medium">
                    {inv.label || "Unlabelled invite"} <RoleBadge role={inv.role} />{" "}
                    <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STATE[inv.state].className}`}>{STATE[inv.state].label}</span>
                  </p>
                  <p className="text-sm text-slate-600">
                    {inv.uses} of {inv.maxUses} used · created <Time value={inv.createdAt} />
                    {inv.createdBy ? ` by ${inv.createdBy.name}` : ""} · {inv.revokedAt ? <>revoked <Time value={inv.revokedAt} /></> : <>expires <Time value={inv.expiresAt} relative /></>}
                  </p>
                  {inv.redemptions.length ? (
                    <details className="mt-1 text-sm">
                      <summary className="cursor-pointer text-indigo-700">Redeemed by {inv.redemptions.length} {inv.redemptions.length === 1 ? "person" : "people"}</summary>
                      <ul className="mt-1 list-disc pl-5 text-slate-700">
                        {inv.redemptions.map((r) => (
                          <li key={r.userId}>
                            {r.name}, <Time value={r.at} />
                          </li>
                        ))}
                      </ul>
                    </details>
                  ) : null}
                </div>
                {inv.state === "active" && canIssueInvite(admin.role, inv.role) ? (
                  <ConfirmAction
                    action="/admin/invites/revoke"
                    fields={{ invite: inv.id }}
                    label="Revoke"
                    srLabel={inv.label || "invite"}
                    question="Revoke this invite? Its code stops working at once. People who already joined stay members."
                    confirm="Revoke invite"
                  />
                ) : null}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </>
  );
}
