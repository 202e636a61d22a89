"use client";

import "./globals.css";
import { HOME_LINK_CLASS, ServerErrorCard } from "./_lib/standalone-card";

// When the root layout itself fails: a whole document of its own, in the same style as the other error pages.
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <head>
        <title>Something went wrong · Gatehouse</title>
        <meta name="robots" content="noindex,nofollow" />
      </head>
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <ServerErrorCard
          digest={error.digest}
          reset={reset}
          homeLink={
            // A full load on purpose: the root layout itself failed, so no client-side navigation.
            // eslint-disable-next-line @next/next/no-html-link-for-pages
            <a href="/" className={HOME_LINK_CLASS}>
              Go to the home page
            </a>
          }
        />
      </body>
    </html>
  );
}
