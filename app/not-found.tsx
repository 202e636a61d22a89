import type { Metadata } from "next";
import Link from "next/link";
import { StandaloneCard } from "./_lib/standalone-card";

export const metadata: Metadata = { title: "Page not found" };

// Every path no page or route serves outside /api (which answers in JSON).
export default function NotFound() {
  return (
    <StandaloneCard title="There is no page at this address">
      <p className="mt-3 text-slate-700">The address may be mistyped, or the page has moved. Nothing was changed.</p>
      <p className="mt-3 text-slate-700">
        To open your settings, use the link your agent sends you in Telegram or Slack; a settings link works once.
      </p>
      <p className="mt-6">
        <Link href="/" prefetch={false} className="font-medium text-indigo-700 underline underline-offset-2 hover:text-indigo-900">
          Go to the Gatehouse home page
        </Link>
      </p>
    </StandaloneCard>
  );
}
