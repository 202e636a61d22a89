"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const ITEMS = [
  { href: "/settings", label: "Overview" },
  { href: "/settings/secrets", label: "Secrets" },
  { href: "/settings/connections", label: "Connections" },
  { href: "/settings/agent-access", label: "Agent access" },
  { href: "/settings/sessions", label: "Sessions" },
  { href: "/settings/activity", label: "Activity" },
];

export function PortalNav() {
  const pathname = usePathname();
  return (
    <nav aria-label="Settings" className="-mx-1 flex gap-1 overflow-x-auto pb-1 sm:flex-col sm:overflow-visible">
      {ITEMS.map((item) => {
        const current = item.href === "/settings" ? pathname === "/settings" : pathname.startsWith(item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            aria-current={current ? "page" : undefined}
            className={`rounded-lg px-3 py-2 text-sm font-medium whitespace-nowrap ${
              current ? "bg-indigo-50 text-indigo-800" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"
            }`}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
