import type { Metadata } from "next";
import { requireAdmin } from "./_admin";
import { AdminNav } from "./nav";

export const metadata: Metadata = { title: { default: "Admin console", template: "%s · Admin · Gatehouse" } };
export const dynamic = "force-dynamic";

export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const { user, workspace, role } = await requireAdmin();
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only rounded-lg bg-white text-sm font-semibold text-indigo-800 shadow-lg focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50 focus:px-4 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-4 sm:px-6">
          <div>
            <p className="text-xs font-bold tracking-widest text-indigo-700 uppercase">Gatehouse admin</p>
            <p className="text-sm text-slate-600">
              <span data-testid="workspace-name" className="font-semibold text-slate-900">{workspace.name}</span>
              <span aria-hidden="true"> · </span>
              <span>
                {user.name} <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-semibold text-slate-700">{role}</span>
              </span>
            </p>
          </div>
          <form method="post" action="/admin/sign-out">
            <button type="submit" className="rounded-lg border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <div className="mx-auto grid max-w-6xl gap-6 px-4 py-6 sm:grid-cols-[12rem_1fr] sm:px-6">
        <AdminNav />
        <main id="main" tabIndex={-1} className="min-w-0 scroll-mt-4 focus:outline-none">
          {children}
        </main>
      </div>
    </div>
  );
}
