import Link from "next/link";
import { requirePortal } from "./_portal";
import { Card, PageHeading } from "./_ui";

const SECTIONS = [
  { href: "/settings/secrets", title: "Secrets", body: "API keys your agents may use. Values are encrypted and never shown again." },
  { href: "/settings/connections", title: "Connections", body: "Accounts you connect for your agents (coming soon)." },
  { href: "/settings/agent-access", title: "Agent access", body: "Which running agent jobs hold which of your secrets." },
  { href: "/settings/sessions", title: "Sessions", body: "Where you are signed in to these settings; sign out anywhere." },
  { href: "/settings/activity", title: "Activity", body: "Everything that happened with your account here." },
];

export default async function SettingsHome() {
  const { user, workspace } = await requirePortal();
  return (
    <>
      <PageHeading title={`Hello, ${user.name}`} description={`Your settings in ${workspace.name}.`} />
      <div className="grid gap-4 md:grid-cols-2">
        {SECTIONS.map((s) => (
          <Card key={s.href}>
            <h2 className="font-semibold">
              <Link href={s.href} className="text-indigo-700 underline-offset-2 hover:underline">
                {s.title}
              </Link>
            </h2>
            <p className="mt-1 text-sm text-slate-600">{s.body}</p>
          </Card>
        ))}
      </div>
    </>
  );
}
