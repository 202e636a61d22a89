import { SectionNav } from "../../_lib/section-nav";

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
  return <SectionNav label="Admin console" items={ITEMS} />;
}
