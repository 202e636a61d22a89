// The card every whole-page answer outside the portal shows (401, 404, 500): the same frame, its own words.
export function StandaloneCard({ title, alert = false, children }: { title: string; alert?: boolean; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-6 py-16">
      <div role={alert ? "alert" : undefined} className="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
        <p className="text-xs font-bold tracking-widest text-indigo-700 uppercase">Gatehouse</p>
        <h1 className="mt-4 text-2xl font-bold">{title}</h1>
        {children}
      </div>
    </main>
  );
}

// The body of both 500 pages (app/error.tsx, app/global-error.tsx): what happened, what to do next, and only
// Next's digest, which names the (redacted) log line, never the error's message.
export function ServerErrorCard({ digest, reset, homeLink }: { digest?: string; reset: () => void; homeLink: React.ReactNode }) {
  return (
    <StandaloneCard title="Something went wrong on our side" alert>
      <p className="mt-3 text-slate-700">Gatehouse could not show this page, and nothing was changed.</p>
      <p className="mt-3 text-slate-700">Try again in a moment. If it keeps happening, ask your agent for a new settings link.</p>
      <div className="mt-6 flex flex-col gap-3 sm:flex-row">
        <button type="button" onClick={reset} className="rounded-lg bg-indigo-700 px-4 py-2.5 font-semibold text-white hover:bg-indigo-800">
          Try again
        </button>
        {homeLink}
      </div>
      {digest ? <p className="mt-4 text-sm text-slate-500">Reference: {digest}</p> : null}
    </StandaloneCard>
  );
}

export const HOME_LINK_CLASS = "rounded-lg px-4 py-2.5 text-center font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-900";
