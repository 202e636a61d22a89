import { SectionNav } from "../_lib/section-nav";

const ITEMS = [
  { href: "/settings", label: "Overview" },
  { href: "/settings/secrets", label: "Secrets" },
  { href: "/settings/connections", label: "Connections" },
  { href: "/settings/agent-access", label: "Agent access" },
  { href: "/settings/sessions", label: "Sessions" },
  { href: "/settings/activity", label: "Activity" },
];

export function PortalNav() {
  return <SectionNav label="Settings" items={ITEMS} />;
}
