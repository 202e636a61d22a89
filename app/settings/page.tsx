import Link from "next/link";
import { getPortalOverview } from "@/lib/portal/overview";
import { requirePortal } from "./_portal";
import { Card, PageHeading, Time } from "./_ui";

const SECTIONS = [
  { href: "/settings/secrets", title: "Secrets", body: "API keys your agents may use. Values are encrypted and never shown again." },
  { href: "/settings/agent-access", title: "Agent access", body: "Which running agent jobs hold which of your secrets; revoke any of them." },
  { href: "/settings/sessions", title: "Sessions", body: "Where you are signed in to these settings; sign out anywhere." },
  { href: "/settings/activity", title: "Activity", body: "Everything recorded about your account, secrets and jobs here." },
  { href: "/settings/connections", title: "Connections", body: "Accounts you connect for your agents (coming soon)." },
];

const ROLES = { owner: "Owner", admin: "Admin", member: "Member" } as const;
const PLATFORMS: Record<string, string> = { telegram: "Telegram", slack: "Slack" };
const SIGN_IN_METHODS: Record<string, string> = { link: "with a settings link", oauth: "with a settings link and your sign-in account", telegram: "from Telegram" };

export default async function SettingsHome() {
  const { user, workspace, session } = await requirePortal();
  const o = await getPortalOverview({ workspaceId: workspace.id, userId: user.id, session });
  const stats = [
    { href: "/settings/secrets", value: o.counts.secrets, label: o.counts.secrets === 1 ? "secret" : "secrets", id: "secrets" },
    { href: "/settings/agent-access", value: o.counts.runningJobs, label: o.counts.runningJobs === 1 ? "running job" : "running jobs", id: "running-jobs" },
    { href: "/settings/sessions", value: o.counts.sessions, label: o.counts.sessions === 1 ? "active session" : "active sessions", id: "sessions" },
  ];
  const account = o.settingsAccount;
  return (
    <>
      <PageHeading title={`Hello, ${user.name}`} description={`Your settings in ${workspace.name}.`} />

      <section aria-labelledby="at-a-glance" className="mb-6">
        <h2 id="at-a-glance" className="sr-only">
          At a glance
        </h2>
        {/* Three across at every width: each is a number and a word or two, and the whole card is the link. */}
        <ul className="grid grid-cols-3 gap-2 sm:gap-4">
          {stats.map((s) => (
            <li key={s.id}>
              <Link
                href={s.href}
                className="group block h-full rounded-xl border border-slate-200 bg-white p-3 shadow-sm hover:border-indigo-300 sm:p-5">
                <span className="block text-2xl font-bold tabular-nums sm:text-3xl" data-testid={`count-${s.id}`}>
                  {s.value}
                </span>
                <span className="block text-xs text-slate-600 group-hover:text-indigo-800 group-hover:underline sm:text-sm">{s.label}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>

      <Card className="mb-6">
        <h2 id="your-account" className="text-lg font-semibold">
          Your account
        </h2>
        <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]" aria-labelledby="your-account">
          <dt className="text-slate-600">Role in {workspace.name}</dt>
          <dd className="font-medium" data-testid="overview-role">
            {o.role ? ROLES[o.role] : "Not a member"}
          </dd>
          <dt className="text-slate-600">Chat account</dt>
          <dd data-testid="overview-chat-account">
            {o.chatAccounts.length
              ? o.chatAccounts.map((a, i) => (
                  <span key={`${a.platform}:${a.externalId}`}>
                    {i ? ", " : ""}
                    {PLATFORMS[a.platform] ?? a.platform} <code>{a.externalId}</code>
                  </span>
                ))
              : "None"}
          </dd>
          <dt className="text-slate-600">Sign-in account</dt>
          <dd data-testid="overview-sign-in-account">
            {!account.configured ? (
              "None needed: your settings links open straight from your chat."
            ) : account.boundAt ? (
              <>
                Your {account.providerName} account, linked <Time value={account.boundAt} />. Only that account can open your links.
              </>
            ) : (
              <>Not linked yet: the first time you sign in with {account.providerName}, that account is linked to you.</>
            )}
          </dd>
          <dt className="text-slate-600">Signed in</dt>
          <dd data-testid="overview-this-sign-in">
            <Time value={o.thisSignIn.at} relative /> {SIGN_IN_METHODS[o.thisSignIn.method] ?? ""}
          </dd>
          <dt className="text-slate-600">Previous sign-in</dt>
          <dd data-testid="overview-previous-sign-in">
            {o.previousSignIn ? (
              <>
                <Time value={o.previousSignIn.at} relative />
                {o.previousSignIn.method && SIGN_IN_METHODS[o.previousSignIn.method] ? ` ${SIGN_IN_METHODS[o.previousSignIn.method]}` : ""}
                {o.previousSignIn.ip ? ` from IP ${o.previousSignIn.ip}` : ""}
              </>
            ) : (
              "None: this is your first sign-in here."
            )}
          </dd>
        </dl>
      </Card>

      <section aria-labelledby="sections">
        <h2 id="sections" className="mb-3 text-lg font-semibold">
          Your settings
        </h2>
        <ul className="grid gap-4 md:grid-cols-2">
          {SECTIONS.map((s) => (
            <li key={s.href}>
              <Card className="h-full">
                <h3 className="font-semibold">
                  <Link href={s.href} className="text-indigo-700 underline-offset-2 hover:underline">
                    {s.title}
                  </Link>
                </h3>
                <p className="mt-1 text-sm text-slate-600">{s.body}</p>
              </Card>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
