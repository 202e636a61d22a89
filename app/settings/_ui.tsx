export function PageHeading({ title, description }: { title: string; description: string }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-bold tracking-tight">{title}</h1>
      <p className="mt-1 text-slate-600">{description}</p>
    </div>
  );
}

export function Card({ children, className = "" }: { children: React.ReactNode; className?: string }) {
  // Two padding utilities on one element resolve by stylesheet order, not by the order written: a caller's
  // own padding (e.g. `p-0` for a flush list) replaces the default instead of competing with it.
  const padding = /(^|\s)p-\S+/.test(className) ? "" : "p-5";
  return <section className={`rounded-xl border border-slate-200 bg-white shadow-sm ${padding} ${className}`}>{children}</section>;
}

export function formatTime(value: Date | number) {
  return new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(value) + " UTC";
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  // unit, its length, and how many of it before the next larger unit reads better
  ["minute", 60_000, 60],
  ["hour", 3_600_000, 24],
  ["day", 86_400_000, Infinity],
];

/** "in 42 minutes", "3 hours ago": coarse on purpose, next to the absolute time it explains. */
export function formatRelative(value: Date, now = new Date()) {
  const diff = value.getTime() - now.getTime();
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "always" });
  if (Math.abs(diff) < 60_000) return diff >= 0 ? "in less than a minute" : "just now";
  for (const [unit, ms, max] of RELATIVE_UNITS) {
    const count = Math.round(diff / ms);
    if (Math.abs(count) < max) return rtf.format(count, unit);
  }
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

/** A timestamp people can read, with the machine-readable value for assistive tech and tests. */
export function Time({ value, relative = false }: { value: Date; relative?: boolean }) {
  return (
    <time dateTime={value.toISOString()} title={formatTime(value)}>
      {relative ? `${formatRelative(value)} (${formatTime(value)})` : formatTime(value)}
    </time>
  );
}

/** The outcome of the last form post, announced to screen readers; errors interrupt, confirmations wait. */
export function StatusMessage({ tone, children, id }: { tone: "success" | "error"; children: React.ReactNode; id?: string }) {
  const styles = tone === "success" ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-red-200 bg-red-50 text-red-900";
  return (
    <div
      id={id}
      role={tone === "error" ? "alert" : "status"}
      aria-live={tone === "error" ? "assertive" : "polite"}
      className={`rounded-lg border px-4 py-3 text-sm ${styles}`}>
      {children}
    </div>
  );
}

/** The first block of a job id: enough to tell jobs apart on one page. */
export const shortJobId = (jobId: string) => jobId.slice(0, 8);

export const listFormat = new Intl.ListFormat("en", { style: "long", type: "conjunction" });

/** "A", "A and B", "A, B, and C", each name in code. */
export function CodeList({ names }: { names: string[] }) {
  return (
    <>
      {listFormat.formatToParts(names).map((part, i) =>
        part.type === "element" ? (
          <code key={i} className="font-semibold">
            {part.value}
          </code>
        ) : (
          part.value
        ),
      )}
    </>
  );
}

export const buttonStyles = {
  primary:
    "inline-flex items-center justify-center rounded-lg bg-indigo-700 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-800 disabled:cursor-not-allowed disabled:opacity-50",
  secondary:
    "inline-flex cursor-pointer items-center justify-center rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50",
  danger:
    "inline-flex cursor-pointer items-center justify-center rounded-lg border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50",
  dangerSolid: "inline-flex items-center justify-center rounded-lg bg-red-700 px-4 py-2 text-sm font-semibold text-white hover:bg-red-800",
} as const;

/** "Chrome on Android": enough to recognise a session, from its user agent. */
export function describeAgent(ua: string | null) {
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua) ? "Edge" : /Chrome\//.test(ua) ? "Chrome" : /Firefox\//.test(ua) ? "Firefox" : /Safari\//.test(ua) ? "Safari" : /Telegram/i.test(ua) ? "Telegram" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}
