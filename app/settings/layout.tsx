import type { Metadata } from "next";
import { requirePortal } from "./_portal";
import { PortalNav } from "./nav";

export const metadata: Metadata = { title: { default: "Settings", template: "%s · Settings · Gatehouse" } };
export const dynamic = "force-dynamic";

export default async function SettingsLayout({ children }: { children: React.ReactNode }) {
  const { user, workspace } = await requirePortal();
  return (
    <div className="min-h-screen">
      {/* The first thing Tab reaches: past the header and the section tabs, straight to the page. */}
      <a
        href="#main"
        className="sr-only rounded-lg bg-white text-sm font-semibold text-indigo-800 shadow-lg focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50 focus:px-4 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-5xl flex-wrap items-center justify-between gap-3 px-4 py-4 sm:px-6">
          <div>
            <p className="text-xs font-bold tracking-widest text-indigo-700 uppercase">Gatehouse</p>
            <p className="text-sm text-slate-600">
              <span className="font-semibold text-slate-900">{user.name}</span>
              <span aria-hidden="true"> · </span>
              <span className="sr-only">in workspace </span>
              <span data-testid="workspace-name">{workspace.name}</span>
            </p>
          </div>
          <form method="post" action="/settings/sign-out">
            <button type="submit" className="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <div className="mx-auto grid max-w-5xl gap-6 px-4 py-6 sm:grid-cols-[12rem_1fr] sm:px-6">
        <PortalNav />
        <main id="main" tabIndex={-1} className="min-w-0 scroll-mt-4 focus:outline-none">
          {children}
        </main>
      </div>
    </div>
  );
}
