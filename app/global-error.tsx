"use client";

import "./globals.css";

// When the root layout itself fails: a whole document of its own, in the same style as the other error pages.
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <head>
        <title>Something went wrong · Gatehouse</title>
        <meta name="robots" content="noindex,nofollow" />
      </head>
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <main className="flex min-h-screen items-center justify-center px-6 py-16">
          <div role="alert" className="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-sm">
            <p className="text-xs font-bold tracking-widest text-indigo-700 uppercase">Gatehouse</p>
            <h1 className="mt-4 text-2xl font-bold">Something went wrong on our side</h1>
            <p className="mt-3 text-slate-700">Gatehouse could not show this page, and nothing was changed.</p>
            <p className="mt-3 text-slate-700">Try again in a moment. If it keeps happening, ask your agent for a new settings link.</p>
            <div className="mt-6 flex flex-col gap-3 sm:flex-row">
              <button type="button" onClick={reset} className="rounded-lg bg-indigo-700 px-4 py-2.5 font-semibold text-white hover:bg-indigo-800">
                Try again
              </button>
              {/* A full load on purpose: the root layout itself failed, so no client-side navigation. */}
              {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
              <a href="/" className="rounded-lg px-4 py-2.5 text-center font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-900">
                Go to the home page
              </a>
            </div>
            {error.digest ? <p className="mt-4 text-sm text-slate-500">Reference: {error.digest}</p> : null}
          </div>
        </main>
      </body>
    </html>
  );
}
