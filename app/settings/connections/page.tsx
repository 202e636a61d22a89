import type { Metadata } from "next";
import { CATALOG } from "@/lib/connections/catalog";
import { listProviders } from "@/lib/connections/providers";
import { listConnections, runningJobsUsing, type ConnectionSummary } from "@/lib/connections/store";
import { requirePortal } from "../_portal";
import { buttonStyles, Card, PageHeading, shortJobId, StatusMessage, Time } from "../_ui";
import { CONNECTION_ERRORS, type ConnectionErrorCode } from "./_errors";

export const metadata: Metadata = { title: "Connections" };

type SearchParams = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

type RunningJob = Awaited<ReturnType<typeof runningJobsUsing>>[number];

const REVOCATION_NOTE: Record<string, string> = {
  revoked: "The provider confirmed the tokens are revoked.",
  unsupported: "This provider offers no way to revoke tokens from here; you can also remove Gatehouse's access in the provider's own settings.",
  failed: "The provider could not confirm the revocation. Gatehouse deleted its copy of the tokens; remove its access in the provider's own settings to be sure.",
};

export default async function ConnectionsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { user, workspace } = await requirePortal();
  const [providers, connections, params] = await Promise.all([
    listProviders({ workspaceId: workspace.id }),
    listConnections({ workspaceId: workspace.id, userId: user.id }),
    searchParams,
  ]);
  const jobs = new Map<string, RunningJob[]>(
    await Promise.all(connections.map(async (c) => [c.id, await runningJobsUsing({ workspaceId: workspace.id, userId: user.id, connectionId: c.id })] as const)),
  );
  const byProvider = new Map(connections.filter((c) => c.kind === "provider").map((c) => [c.providerId!, c]));
  const servers = connections.filter((c) => c.kind === "mcp");
  const label = (providerId: string) => {
    const p = providers.find((x) => x.id === providerId);
    return p && (p.template === "generic-oidc" || p.template === "generic-oauth2") ? providerId : p ? CATALOG[p.template].label : providerId;
  };

  const error = one(params.error);
  const errorText = error && Object.hasOwn(CONNECTION_ERRORS, error) ? CONNECTION_ERRORS[error as ConnectionErrorCode] : null;
  const connected = one(params.connected) ?? one(params.reconnected);
  const revocation = one(params.revocation);
  const mcpPrefill = one(params.mcp);

  return (
    <>
      <PageHeading
        title="Connections"
        description="Accounts and MCP servers you connect once. An agent job you grant a connection to receives a fresh access token for it, never your password."
      />
      <div className="mb-6 empty:hidden" aria-live="polite">
        {errorText ? (
          <StatusMessage tone="error">{errorText}</StatusMessage>
        ) : connected && byProvider.has(connected) ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">
              {label(connected)} {params.reconnected ? "reconnected" : "connected"}
            </strong>
            {byProvider.get(connected)!.upstreamAccount ? <> as {byProvider.get(connected)!.upstreamAccount}</> : null}. Agents you grant it to
            can now act with this account.
          </StatusMessage>
        ) : params.added === "mcp" ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">MCP server connected.</strong> Agents you grant it to can now call it as you.
          </StatusMessage>
        ) : params.disconnected ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">Disconnected.</strong> {revocation && REVOCATION_NOTE[revocation] ? REVOCATION_NOTE[revocation] : null}
          </StatusMessage>
        ) : null}
      </div>

      <section aria-labelledby="accounts" className="mb-10">
        <h2 id="accounts" className="mb-3 text-lg font-semibold">
          Accounts
        </h2>
        {providers.length === 0 ? (
          <Card>
            <p className="font-medium">No providers are set up in {workspace.name} yet.</p>
            <p className="mt-1 text-sm text-slate-600">
              An operator adds them with <code>gatehouse provider add</code> (GitHub, Google, Slack, Linear, Notion or any OAuth 2 / OpenID Connect
              provider). Once one is set up, you can connect your account here.
            </p>
          </Card>
        ) : (
          <ul className="grid gap-4" aria-label="Providers">
            {providers.map((p) => (
              <ProviderRow key={p.id} providerId={p.id} label={label(p.id)} connection={byProvider.get(p.id) ?? null} jobs={jobs.get(byProvider.get(p.id)?.id ?? "") ?? []} />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="mcp-servers">
        <h2 id="mcp-servers" className="mb-3 text-lg font-semibold">
          MCP servers
        </h2>
        {servers.length ? (
          <ul className="mb-4 grid gap-4" aria-label="MCP servers">
            {servers.map((s) => (
              <ServerRow key={s.id} connection={s} jobs={jobs.get(s.id) ?? []} />
            ))}
          </ul>
        ) : null}
        <Card>
          <form method="post" action="/settings/connections/mcp" className="grid gap-2" data-testid="add-mcp">
            <label htmlFor="mcp-server" className="font-medium">
              Add MCP server
            </label>
            <p id="mcp-server-help" className="text-sm text-slate-600">
              The server&rsquo;s https address, e.g. <code>https://mcp.example.com/mcp</code>. You sign in at its authorization server next;
              Gatehouse registers itself there if needed.
            </p>
            <div className="flex flex-wrap gap-2">
              <input
                id="mcp-server"
                name="server"
                type="url"
                required
                inputMode="url"
                autoComplete="off"
                spellCheck={false}
                maxLength={2048}
                defaultValue={mcpPrefill}
                aria-describedby="mcp-server-help"
                placeholder="https://"
                className="min-w-0 flex-1 rounded-lg border border-slate-300 px-3 py-2 text-sm focus:border-indigo-600 focus:ring-2 focus:ring-indigo-200 focus:outline-none"
              />
              <button type="submit" className={buttonStyles.primary}>
                Connect server
              </button>
            </div>
          </form>
        </Card>
      </section>
    </>
  );
}

function StateBadge({ connection }: { connection: ConnectionSummary | null }) {
  if (!connection) return <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-semibold text-slate-700">Not connected</span>;
  if (connection.status === "needs_reconnect") {
    return <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">Needs reconnect</span>;
  }
  return <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">Connected</span>;
}

function JobsLosingAccess({ jobs }: { jobs: RunningJob[] }) {
  if (!jobs.length) return <p>No running agent job uses it right now.</p>;
  return (
    <>
      <p>
        {jobs.length === 1 ? "This running job loses" : `These ${jobs.length} running jobs lose`} access at once:
      </p>
      <ul className="mt-1 list-disc pl-5" data-testid="jobs-losing-access">
        {jobs.map((j) => (
          <li key={`${j.jobId}:${j.envVar}`}>
            Job <code className="font-semibold">{shortJobId(j.jobId)}</code> (as <code>{j.envVar}</code>, started <Time value={j.job.createdAt} relative />)
          </li>
        ))}
      </ul>
    </>
  );
}

function DisconnectButton({ connection, name, jobs }: { connection: ConnectionSummary; name: string; jobs: RunningJob[] }) {
  return (
    <details>
      <summary className={`list-none [&::-webkit-details-marker]:hidden ${buttonStyles.danger}`}>
        Disconnect<span className="sr-only"> {name}</span>
      </summary>
      <form
        method="post"
        action="/settings/connections/disconnect"
        className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-950"
        data-testid="disconnect-confirm">
        <input type="hidden" name="connectionId" value={connection.id} />
        <p className="mb-2">
          Disconnect <strong>{name}</strong>? Gatehouse revokes the tokens at the provider where it can, then deletes them.
        </p>
        <JobsLosingAccess jobs={jobs} />
        <button type="submit" className={`mt-3 ${buttonStyles.dangerSolid}`}>
          Yes, disconnect {name}
        </button>
      </form>
    </details>
  );
}

function ProviderRow({ providerId, label, connection, jobs }: { providerId: string; label: string; connection: ConnectionSummary | null; jobs: RunningJob[] }) {
  return (
    <li data-testid="provider-row" data-provider={providerId}>
      <Card>
        <div className="disclosure-row flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h3 className="flex flex-wrap items-center gap-2 font-semibold">
              {label} <StateBadge connection={connection} />
            </h3>
            <p className="mt-1 text-sm text-slate-600" data-testid="connection-state">
              {!connection ? (
                <>Not connected. Provider id <code>{providerId}</code>.</>
              ) : connection.status === "needs_reconnect" ? (
                <>The provider no longer accepts this connection{connection.upstreamAccount ? <> ({connection.upstreamAccount})</> : null}. Reconnect to use it again.</>
              ) : (
                <>
                  Connected as <strong className="font-semibold text-slate-900">{connection.upstreamAccount ?? "an account without a name"}</strong>
                  {connection.updatedAt ? (
                    <>
                      {" "}
                      · since <Time value={connection.updatedAt} relative />
                    </>
                  ) : null}
                </>
              )}
            </p>
          </div>
          <div className="flex flex-wrap items-start gap-2">
            <form method="post" action="/settings/connections/connect">
              <input type="hidden" name="provider" value={providerId} />
              <button type="submit" className={connection ? buttonStyles.secondary : buttonStyles.primary}>
                {connection ? "Reconnect" : "Connect"}
                <span className="sr-only"> {label}</span>
              </button>
            </form>
            {connection ? <DisconnectButton connection={connection} name={label} jobs={jobs} /> : null}
          </div>
        </div>
      </Card>
    </li>
  );
}

function ServerRow({ connection, jobs }: { connection: ConnectionSummary; jobs: RunningJob[] }) {
  const host = (() => {
    try {
      return new URL(connection.serverUrl!).host;
    } catch {
      return connection.serverUrl!;
    }
  })();
  return (
    <li data-testid="mcp-row" data-server={connection.serverUrl}>
      <Card>
        <div className="disclosure-row flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <h3 className="flex flex-wrap items-center gap-2 font-semibold">
              {host} <StateBadge connection={connection} />
            </h3>
            <p className="font-mono text-xs break-all text-slate-500">{connection.serverUrl}</p>
            {connection.upstreamAccount ? <p className="mt-1 text-sm text-slate-600">Signed in as {connection.upstreamAccount}</p> : null}
          </div>
          <div className="flex flex-wrap items-start gap-2">
            <form method="post" action="/settings/connections/mcp">
              <input type="hidden" name="server" value={connection.serverUrl!} />
              <button type="submit" className={buttonStyles.secondary}>
                Sign in again<span className="sr-only"> to {host}</span>
              </button>
            </form>
            <DisconnectButton connection={connection} name={host} jobs={jobs} />
          </div>
        </div>
      </Card>
    </li>
  );
}
