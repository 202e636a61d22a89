import type { Metadata } from "next";
import type { Role } from "@/generated/prisma/client";
import { listMembersForAdmin } from "@/lib/admin/members";
import { getConfig } from "@/lib/config";
import { settingsProviderKey } from "@/lib/identity/bindings";
import { ROLES } from "@/lib/members/roles";
import { canChangeRole, canRemoveMember } from "@/lib/permissions";
import { requireAdmin, statusFrom } from "../_admin";
import { Card, ConfirmAction, EmptyState, PageHeading, RoleBadge, StatusMessage, Time } from "../_ui";

export const metadata: Metadata = { title: "Members" };

const MESSAGES: Record<string, string> = {
  role_changed: "The role was changed.",
  removed: "The member was removed. Their sessions and running jobs have ended.",
  handed_over: "Ownership was handed over. You are now an admin of this workspace.",
  last_owner: "This is the workspace's only owner. Make someone else owner first.",
  forbidden: "Only an owner can grant or remove the admin or owner role, or remove an admin.",
  not_found: "That member is no longer in this workspace.",
  bad_request: "That request was not understood. Nothing was changed.",
  conflict: "Nothing to change.",
};

export default async function MembersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const status = await statusFrom(searchParams, MESSAGES);
  const withIdentityProvider = !!getConfig().settingsOAuth;
  const members = await listMembersForAdmin({ workspaceId: admin.workspace.id, settingsProvider: withIdentityProvider ? settingsProviderKey() : null });
  const owners = members.filter((m) => m.role === "owner").length;
  return (
    <>
      <PageHeading title="Members" description="Everyone in this workspace, their chat identities and role. Removing someone ends their sessions and running jobs at once." />
      {status ? <div className="mb-4"><StatusMessage tone={status.tone}>{status.text}</StatusMessage></div> : null}
      {members.length === 0 ? (
        <EmptyState title="No members yet" />
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200" aria-label="Members">
            {members.map((m) => {
              const self = m.userId === admin.user.id;
              const roles = ROLES.filter((r: Role) => r !== m.role && canChangeRole(admin.role, { from: m.role, to: r }));
              return (
                <li key={m.userId} className="flex flex-col gap-3 p-5 lg:flex-row lg:items-start lg:justify-between" data-testid="member-row">
                  <div className="min-w-0">
                    <p className="font-medium">
                      {m.name ?? m.identities[0] ?? m.userId} {self ? <span className="text-sm font-normal text-slate-500">(you)</span> : null} <RoleBadge role={m.role} />
                    </p>
                    <p className="mt-1 text-sm break-all text-slate-600">{m.identities.join(" · ") || "No chat identity"}</p>
                    <p className="mt-1 text-sm text-slate-600">
                      Joined <Time value={m.joinedAt} /> · {m.lastSeenAt ? <>last seen <Time value={m.lastSeenAt} /></> : "not seen yet"}
                      {withIdentityProvider ? (m.boundAccount ? <> · sign-in account linked <Time value={m.boundAccount.since} /></> : " · no sign-in account linked yet") : null}
                    </p>
                  </div>
                  <div className="flex flex-wrap items-start gap-2">
                    {roles.length ? (
                      <form method="post" action="/admin/members/role" className="flex items-center gap-2">
                        <input type="hidden" name="user" value={m.userId} />
                        <label className="sr-only" htmlFor={`role-${m.userId}`}>New role for {m.name ?? m.userId}</label>
                        <select id={`role-${m.userId}`} name="role" defaultValue={roles[0]} className="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm">
                          {roles.map((r) => (
                            <option key={r} value={r}>Make {r}</option>
                          ))}
                        </select>
                        <button type="submit" className="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
                          Change role<span className="sr-only"> of {m.name ?? m.userId}</span>
                        </button>
                      </form>
                    ) : null}
                    {admin.role === "owner" && !self ? (
                      <ConfirmAction
                        action="/admin/members/handover"
                        fields={{ user: m.userId }}
                        label="Hand over ownership"
                        srLabel={`to ${m.name ?? m.userId}`}
                        question={`${m.name ?? "This member"} becomes an owner and you become an admin. Only an owner can make you owner again.`}
                        confirm="Hand over ownership"
                        tone="neutral"
                      />
                    ) : null}
                    {canRemoveMember(admin.role, m.role) && !(m.role === "owner" && owners === 1) ? (
                      <ConfirmAction
                        action="/admin/members/remove"
                        fields={{ user: m.userId }}
                        label="Remove"
                        srLabel={m.name ?? m.userId}
                        question={`Remove ${m.name ?? "this member"} from the workspace? Their portal and admin sessions and running jobs end at once. Their secrets stay until they are added again.`}
                        confirm="Remove from workspace"
                      />
                    ) : null}
                  </div>
                </li>
              );
            })}
          </ul>
        </Card>
      )}
    </>
  );
}
