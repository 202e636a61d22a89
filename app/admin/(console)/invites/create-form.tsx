"use client";

import { useState } from "react";

type Created = { inviteId: string; code: string; expiresAt: string };

/** Creates an invite through /api/admin/invites and shows its code once: only its hash is stored. */
export function CreateInviteForm({ canInviteAdmins }: { canInviteAdmins: boolean }) {
  const [created, setCreated] = useState<Created | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const label = String(data.get("label") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/admin/invites", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          ...(label ? { label } : {}),
          role: String(data.get("role") ?? "member"),
          maxUses: Number(data.get("maxUses")),
          expiresInDays: Number(data.get("expiresInDays")),
        }),
      });
      const body = (await res.json().catch(() => null)) as (Created & { error?: { message?: string } }) | null;
      if (!res.ok || !body?.code) {
        setError(body?.error?.message ?? "The invite could not be created. Try again.");
        return;
      }
      setCreated(body);
    } catch {
      setError("Gatehouse could not be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  const field = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";
  return (
    <div>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-2 lg:grid-cols-[1fr_8rem_7rem_8rem_auto] lg:items-end" aria-label="Create an invite">
        <label className="text-sm font-medium text-slate-700">
          Label
          <input name="label" maxLength={100} placeholder="e.g. Design team" className={field} />
        </label>
        <label className="text-sm font-medium text-slate-700">
          Role
          <select name="role" defaultValue="member" className={field}>
            <option value="member">Member</option>
            {canInviteAdmins ? <option value="admin">Admin</option> : null}
          </select>
        </label>
        <label className="text-sm font-medium text-slate-700">
          Uses
          <input name="maxUses" type="number" min={1} max={1000} defaultValue={1} required className={field} />
        </label>
        <label className="text-sm font-medium text-slate-700">
          Expires after
          <select name="expiresInDays" defaultValue="7" className={field}>
            <option value="1">1 day</option>
            <option value="7">7 days</option>
            <option value="14">14 days</option>
            <option value="30">30 days</option>
          </select>
        </label>
        <button type="submit" disabled={busy} className="rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800 disabled:opacity-60">
          {busy ? "Creating…" : "Create invite"}
        </button>
      </form>
      <div aria-live="polite">
        {error ? (
          <p role="alert" className="mt-3 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900">
            {error}
          </p>
        ) : null}
        {created ? (
          <div className="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="created-invite">
            <p className="text-sm font-semibold text-amber-900">Copy this invite code now. It is shown only once.</p>
            <input readOnly value={created.code} aria-label="New invite code" className="mt-2 block w-full rounded-lg border border-amber-300 bg-white px-3 py-2 font-mono text-sm" onFocus={(e) => e.currentTarget.select()} />
            <p className="mt-2 text-sm text-amber-900">
              Send it to the people you invite: they send <code>/start {created.code}</code> to your bot, or open the Mini App
              with the start parameter <code className="break-all">inv_{created.code.slice("gh_inv_".length)}</code>.{" "}
              <a href="/admin/invites" className="font-medium underline">Done, refresh the list</a>
            </p>
          </div>
        ) : null}
      </div>
    </div>
  );
}
