"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const ITEMS = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/members", label: "Members" },
  { href: "/admin/invites", label: "Invites" },
  { href: "/admin/tokens", label: "Service tokens" },
  { href: "/admin/sessions", label: "Sessions" },
  { href: "/admin/jobs", label: "Jobs" },
  { href: "/admin/audit", label: "Audit log" },
];

export function AdminNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Admin console" className="grid grid-cols-2 gap-1 min-[360px]:grid-cols-3 sm:flex sm:flex-col">
      {ITEMS.map((item) => {
        const current = item.href === "/admin" ? pathname === "/admin" : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={current ? "page" : undefined}
            className={`rounded-lg px-2 py-2 text-center text-sm font-medium sm:px-3 sm:text-left ${
              current ? "bg-indigo-50 text-indigo-800 ring-1 ring-indigo-200 sm:ring-0" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"
            }`}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
