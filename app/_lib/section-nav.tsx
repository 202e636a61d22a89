"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

export type NavItem = { href: string; label: string };

/** The side navigation of the portal and the admin console; the first item is the area's root (exact match). */
export function SectionNav({ label, items }: { label: string; items: readonly NavItem[] }) {
  const pathname = usePathname();
  const root = items[0]?.href;
  return (
    // Below sm the tabs wrap into a grid, so every one of them is in view (no hidden overflow to discover).
    <nav aria-label={label} className="grid grid-cols-2 gap-1 min-[360px]:grid-cols-3 sm:flex sm:flex-col">
      {items.map((item) => {
        const current = item.href === root ? pathname === root : pathname.startsWith(item.href);
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
