"use client";

import Link from "next/link";
import { HOME_LINK_CLASS, ServerErrorCard } from "./_lib/standalone-card";

// A page that failed while rendering. The error's details stay in the server log (redacted).
export default function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ServerErrorCard
      digest={error.digest}
      reset={reset}
      homeLink={
        <Link href="/" prefetch={false} className={HOME_LINK_CLASS}>
          Go to the home page
        </Link>
      }
    />
  );
}
