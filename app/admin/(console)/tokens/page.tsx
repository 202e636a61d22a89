import type { Metadata } from "next";
import { listServiceTokens } from "@/lib/tokens/registry";
import { requireAdmin, statusFrom } from "../_admin";
import { Card, ConfirmAction, EmptyState, PageHeading, StatusMessage, Time } from "../_ui";
import { IssueTokenForm } from "./issue-form";

export const metadata: Metadata = { title: "Service tokens" };

const MESSAGES: Record<string, string> = { revoked: "The token was revoked. Requests with it are refused from now on.", not_found: "No such token in this workspace." };

function stateOf(t: { expiresAt: Date; revokedAt: Date | null }, now: Date) {
  if (t.revokedAt) return { label: "Revoked", className: "bg-slate-100 text-slate-700" };
  if (t.expiresAt <= now) return { label: "Expired", className: "bg-slate-100 text-slate-700" };
  return { label: "Active", className: "bg-emerald-100 text-emerald-800" };
}

export default async function TokensPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const admin = await requireAdmin();
  const status = await statusFrom(searchParams, MESSAGES);
  const tokens = await listServiceTokens({ workspaceId: admin.workspace.id });
  const now = new Date();
  return (
    <>
      <PageHeading title="Service tokens" description="Tokens your orchestrator uses to start jobs and redeem invites in this workspace. Gatehouse stores only their hashes." />
      {status ? <div className="mb-4"><StatusMessage tone={status.tone}>{status.text}</StatusMessage></div> : null}
      <Card className="mb-6">
        <h2 className="mb-3 font-semibold">Issue a token</h2>
        <IssueTokenForm />
      </Card>
      {tokens.length === 0 ? (
        <EmptyState title="No service tokens yet">Issue one above for your orchestrator.</EmptyState>
      ) : (
        <Card className="p-0">
          <ul className="divide-y divide-slate-200" aria-label="Service tokens">
            {tokens.map((t) => {
              const state = stateOf(t, now);
              return (
                <li key={t.tokenId} className="flex flex-wrap items-center justify-between gap-3 p-5" data-testid="token-row">
                  <div>
                    <p className="font-medium">
                      {t.name ?? "Unnamed token"} <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${state.className}`}>{state.label}</span>
                    </p>
                    <p className="text-sm text-slate-600">
                      Issued <Time value={t.createdAt} /> · {t.revokedAt ? <>revoked <Time value={t.revokedAt} /></> : <>expires <Time value={t.expiresAt} relative /></>} ·{" "}
                      {t.lastUsedAt ? <>last used <Time value={t.lastUsedAt} /></> : "never used"}
                    </p>
                    <p className="text-xs text-slate-500">Id {t.tokenId}</p>
                  </div>
                  {state.label === "Active" ? (
                    <ConfirmAction
                      action="/admin/tokens/revoke"
                      fields={{ token: t.tokenId }}
                      label="Revoke"
                      srLabel={t.name ?? t.tokenId}
                      question="Revoke this token? Every request with it is refused from now on, and this cannot be undone."
                      confirm="Revoke token"
                    />
                  ) : null}
                </li>
              );
            })}
          </ul>
        </Card>
      )}
    </>
  );
}
