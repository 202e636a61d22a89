// The admin console's building blocks, on the portal's (app/settings/_ui.tsx) so both look and read alike.
export { Card, describeAgent, formatTime, PageHeading, StatusMessage, Time } from "../../settings/_ui";

/** A destructive action behind a disclosure: the first press explains, the second one does it. Works without script. */
export function ConfirmAction({
  action,
  fields,
  label,
  srLabel,
  question,
  confirm,
  tone = "danger",
}: {
  action: string;
  fields: Record<string, string>;
  label: string;
  srLabel?: string;
  question: string;
  confirm: string;
  tone?: "danger" | "neutral";
}) {
  const colors = tone === "danger" ? "border-red-300 text-red-700 hover:bg-red-50" : "border-slate-300 text-slate-700 hover:bg-slate-50";
  return (
    <details className="group relative">
      <summary className={`cursor-pointer list-none rounded-lg border px-3 py-1.5 text-sm font-medium [&::-webkit-details-marker]:hidden ${colors}`}>
        {label}
        {srLabel ? <span className="sr-only"> {srLabel}</span> : null}
      </summary>
      <div className="mt-2 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-lg sm:absolute sm:right-0 sm:z-10 sm:w-72">
        <p className="text-slate-700">{question}</p>
        <form method="post" action={action} className="mt-3">
          {Object.entries(fields).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <button type="submit" className={`w-full rounded-lg px-3 py-1.5 font-semibold text-white ${tone === "danger" ? "bg-red-700 hover:bg-red-800" : "bg-slate-900 hover:bg-slate-700"}`}>
            {confirm}
          </button>
        </form>
      </div>
    </details>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center">
      <p className="font-semibold text-slate-900">{title}</p>
      {children ? <div className="mt-1 text-sm text-slate-600">{children}</div> : null}
    </div>
  );
}

export function RoleBadge({ role }: { role: string }) {
  const color = role === "owner" ? "bg-amber-100 text-amber-900" : role === "admin" ? "bg-indigo-100 text-indigo-900" : "bg-slate-100 text-slate-700";
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${color}`}>{role}</span>;
}
