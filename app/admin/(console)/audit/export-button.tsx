"use client";

import { useState } from "react";

type Progress = { done: number; total: number } | null;

/**
 * Downloads the export while showing how far it got: the route streams it and says how many events to expect
 * (X-Audit-Events); lines are counted as they arrive. The file is handed to the browser when it is complete.
 */
export function ExportButton({ query, total }: { query: string; total: number }) {
  const [format, setFormat] = useState<"ndjson" | "csv">("ndjson");
  const [progress, setProgress] = useState<Progress>(null);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    setError(null);
    setProgress({ done: 0, total });
    try {
      const res = await fetch(`/admin/audit/export?${new URLSearchParams([...new URLSearchParams(query), ["format", format]])}`);
      if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
      const expected = Number(res.headers.get("X-Audit-Events") ?? total);
      const reader = res.body.getReader();
      const parts: Uint8Array[] = [];
      let lines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        for (const byte of value) if (byte === 10) lines += 1;
        // NDJSON has a header line; CSV a header row: either way about one line per event.
        setProgress({ done: Math.min(expected, Math.max(0, lines - 1)), total: expected });
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") ?? "")?.[1] ?? `audit.${format}`;
      const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: res.headers.get("Content-Type") ?? "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setProgress({ done: expected, total: expected });
    } catch {
      setError("The export did not finish. Check your connection and try again; nothing was changed.");
      setProgress(null);
    }
  }

  const pct = progress && progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : progress ? 100 : 0;
  const busy = progress !== null && progress.done < progress.total;
  return (
    <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
      <label className="text-sm font-medium text-slate-700">
        <span className="sr-only">Export format</span>
        <select value={format} onChange={(e) => setFormat(e.target.value as "ndjson" | "csv")} className="rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm">
          <option value="ndjson">NDJSON (verifiable)</option>
          <option value="csv">CSV (spreadsheets)</option>
        </select>
      </label>
      <button type="button" onClick={run} disabled={busy} className="rounded-lg bg-slate-900 px-4 py-2 text-sm font-semibold text-white hover:bg-slate-700 disabled:opacity-60">
        {busy ? "Exporting…" : `Export ${total.toLocaleString("en")} events`}
      </button>
      <div className="min-w-0 flex-1" aria-live="polite">
        {progress ? (
          <div>
            <div className="h-2 w-full overflow-hidden rounded-full bg-slate-200" role="progressbar" aria-label="Export progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <div className="h-full bg-indigo-600 transition-[width]" style={{ width: `${pct}%` }} />
            </div>
            <p className="mt-1 text-xs text-slate-600" data-testid="export-progress">
              {busy ? `${progress.done.toLocaleString("en")} of ${progress.total.toLocaleString("en")} events…` : `Done: ${progress.total.toLocaleString("en")} events.`}
            </p>
          </div>
        ) : null}
        {error ? <p role="alert" className="text-sm text-red-800">{error}</p> : null}
      </div>
    </div>
  );
}
