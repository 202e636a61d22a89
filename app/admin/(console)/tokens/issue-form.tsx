"use client";

import { useState } from "react";

type Issued = { tokenId: string; token: string; expiresAt: string };

/** Issues a service token through /api/admin/tokens and shows it once: it is in that response only, never stored. */
export function IssueTokenForm() {
  const [issued, setIssued] = useState<Issued | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const name = String(data.get("name") ?? "").trim();
    const ttlDays = Number(data.get("ttlDays"));
    setBusy(true);
    setError(null);
    try {
      const res = await fetch("/api/admin/tokens", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...(name ? { name } : {}), ttlDays }),
      });
      const body = (await res.json().catch(() => null)) as (Issued & { error?: { message?: string } }) | null;
      if (!res.ok || !body?.token) {
        setError(body?.error?.message ?? "The token could not be issued. Try again.");
        return;
      }
      setIssued(body);
      setCopied(false);
    } catch {
      setError("Gatehouse could not be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <form onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_10rem_auto] sm:items-end" aria-label="Issue a service token">
        <label className="text-sm font-medium text-slate-700">
          Name
          <input name="name" maxLength={100} placeholder="e.g. orchestrator (production)" className="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm" />
        </label>
        <label className="text-sm font-medium text-slate-700">
          Expires after
          <select name="ttlDays" defaultValue="90" className="mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm">
            <option value="7">7 days</option>
            <option value="30">30 days</option>
            <option value="90">90 days</option>
            <option value="365">1 year</option>
          </select>
        </label>
        <button type="submit" disabled={busy} className="rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800 disabled:opacity-60">
          {busy ? "Issuing…" : "Issue token"}
        </button>
      </form>
      <div aria-live="polite">
        {error ? (
          <p role="alert" className="mt-3 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900">
            {error}
          </p>
        ) : null}
        {issued ? (
          <div className="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="issued-token">
            <p className="text-sm font-semibold text-amber-900">Copy this token now. It is shown only once and cannot be retrieved later.</p>
            <div className="mt-2 flex flex-col gap-2 sm:flex-row">
              <input readOnly value={issued.token} aria-label="New service token" className="min-w-0 flex-1 rounded-lg border border-amber-300 bg-white px-3 py-2 font-mono text-sm" onFocus={(e) => e.currentTarget.select()} />
              <button
                type="button"
                className="rounded-lg border border-amber-400 px-3 py-2 text-sm font-medium text-amber-900 hover:bg-amber-100"
                onClick={() => navigator.clipboard?.writeText(issued.token).then(() => setCopied(true), () => setCopied(false))}>
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
            <p className="mt-2 text-sm text-amber-900">
              Use it as <code>Authorization: Bearer …</code>. <a href="/admin/tokens" className="font-medium underline">Done, refresh the list</a>
            </p>
          </div>
        ) : null}
      </div>
    </div>
  );
}
