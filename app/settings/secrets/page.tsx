import type { Metadata } from "next";
import { headers } from "next/headers";
import { typedNameCookie } from "@/lib/auth/cookies";
import { listSecretGrants, type SecretHolder } from "@/lib/jobs/lifecycle";
import { listSecrets } from "@/lib/secrets/store";
import { requirePortal } from "../_portal";
import { buttonStyles, Card, CodeList, formatTime, listFormat, PageHeading, shortJobId, StatusMessage, Time } from "../_ui";
import { isSecretErrorCode, SECRET_ERRORS, secretAnchor, validSecretName, type SecretErrorCode } from "./_status";

export const metadata: Metadata = { title: "Secrets" };

type SearchParams = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

const fieldStyles =
  "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-invalid:border-red-500 aria-invalid:ring-1 aria-invalid:ring-red-500";
const summaryStyles = "list-none [&::-webkit-details-marker]:hidden";

/** Value fields: write-only, masked until "Show value", and kept away from autofill, form restore and spell-check services. */
const valueFieldProps = {
  name: "value",
  required: true,
  rows: 3,
  autoComplete: "off",
  autoCorrect: "off",
  autoCapitalize: "off",
  spellCheck: false,
  "data-1p-ignore": true,
  "data-lpignore": "true",
} as const;

export default async function SecretsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { user, workspace } = await requirePortal();
  const owner = { workspaceId: workspace.id, userId: user.id };
  const [secrets, grants, params, requestHeaders] = await Promise.all([listSecrets(owner), listSecretGrants(owner), searchParams, headers()]);

  const saved = validSecretName(one(params.saved));
  const deleted = validSecretName(one(params.deleted));
  const rawError = one(params.error);
  const error = isSecretErrorCode(rawError) ? rawError : null;
  const errorForm = one(params.form) === "replace" ? "replace" : "create";
  const errorName = validSecretName(one(params.name));
  const createError = error && errorForm === "create" && error !== "not_found" ? error : null;
  const pageError = error === "not_found" ? error : null;
  // What was typed into Add's Name comes back through a short-lived cookie, never the URL (it may be a pasted value).
  const typedName = createError ? (typedNameCookie.read(requestHeaders) ?? "") : "";
  const nameInvalid = createError === "invalid_name" || createError === "exists";

  return (
    <>
      <PageHeading
        title="Secrets"
        description="API keys and tokens your agents may use on your behalf. Values are stored encrypted and are never shown again, not even to you."
      />
      <div className="mb-6 empty:hidden">
        {saved ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">Saved {saved}.</strong> The value is stored encrypted and will not be shown again.
          </StatusMessage>
        ) : deleted ? (
          <StatusMessage tone="success">
            <strong className="font-semibold">Deleted {deleted}.</strong> Agents can no longer use it.
          </StatusMessage>
        ) : pageError ? (
          <StatusMessage tone="error">{SECRET_ERRORS[pageError]}</StatusMessage>
        ) : null}
      </div>

      <div className="grid gap-6">
        <section aria-labelledby="your-secrets">
          <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="your-secrets" className="text-lg font-semibold">
              Your secrets{secrets.length ? ` (${secrets.length})` : ""}
            </h2>
            {secrets.length ? (
              <a href="#add" className="text-sm font-medium text-indigo-700 underline-offset-2 hover:underline">
                Add a secret
              </a>
            ) : null}
          </div>
          {secrets.length === 0 ? (
            <Card>
              <p className="font-medium">You have no secrets yet.</p>
              <p className="mt-1 text-sm text-slate-600">
                A secret is an API key, token or password that an agent needs to work for you, for example a GitHub token or an
                OpenAI API key. When an agent starts a job that needs one, Gatehouse hands that job the value for as long as the job
                runs, and you can see and end that access under Agent access.
              </p>
            </Card>
          ) : (
            <Card className="p-0">
              <ul className="divide-y divide-slate-200" aria-label="Your secrets">
                {secrets.map((s) => (
                  <SecretRow
                    key={s.name}
                    secret={s}
                    grants={grants.get(s.name) ?? []}
                    error={error && errorForm === "replace" && errorName === s.name ? error : null}
                  />
                ))}
              </ul>
            </Card>
          )}
        </section>

        <Card>
          <h2 id="add" className="scroll-mt-6 text-lg font-semibold">
            Add a secret
          </h2>
          <p className="mt-1 text-sm text-slate-600">Give it a name your agent will ask for, then paste the value.</p>
          <form method="post" action="/settings/secrets/save" autoComplete="off" className="mt-4 grid gap-4">
            <input type="hidden" name="intent" value="create" />
            {createError ? (
              <StatusMessage tone="error" id="add-error">
                {SECRET_ERRORS[createError]}
              </StatusMessage>
            ) : null}
            <div>
              <label htmlFor="new-secret-name" className="block text-sm font-medium">
                Name
              </label>
              <input
                id="new-secret-name"
                name="name"
                type="text"
                required
                autoComplete="off"
                autoCapitalize="off"
                spellCheck={false}
                defaultValue={typedName}
                aria-invalid={nameInvalid ? true : undefined}
                aria-describedby={`new-secret-name-help${nameInvalid ? " add-error" : ""}`}
                className={`${fieldStyles} font-mono sm:max-w-sm`}
              />
              <p id="new-secret-name-help" className="mt-1 text-xs text-slate-600">
                Starts with a letter; up to 64 letters, digits, &lsquo;_&rsquo;, &lsquo;.&rsquo; or &lsquo;-&rsquo;. For example{" "}
                <code>github-token</code>.
              </p>
            </div>
            <ValueField
              id="new-secret-value"
              label="Value"
              help="Up to 16 KiB. It is encrypted when saved and cannot be viewed afterwards."
              invalid={createError !== null && !nameInvalid}
              errorId="add-error"
            />
            <div>
              <button type="submit" className={buttonStyles.primary}>
                Save secret
              </button>
            </div>
          </form>
        </Card>
      </div>
    </>
  );
}

function SecretRow({
  secret,
  grants,
  error,
}: {
  secret: { name: string; createdAt: Date; updatedAt: Date; lastUsedAt: Date | null };
  grants: SecretHolder[];
  error: SecretErrorCode | null;
}) {
  const { name } = secret;
  const anchor = secretAnchor(name);
  return (
    <li id={anchor} className="scroll-mt-6 p-5" data-testid="secret-row" data-secret={name}>
      <h3 className="font-mono font-semibold break-all">{name}</h3>
      <dl className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-600">
        <div className="flex gap-1">
          <dt>Added</dt>
          <dd>
            <Time value={secret.createdAt} />
          </dd>
        </div>
        {secret.updatedAt.getTime() !== secret.createdAt.getTime() ? (
          <div className="flex gap-1">
            <dt>Value replaced</dt>
            <dd>
              <Time value={secret.updatedAt} />
            </dd>
          </div>
        ) : null}
        <div className="flex gap-1">
          <dt>Last used</dt>
          <dd>{secret.lastUsedAt ? <Time value={secret.lastUsedAt} /> : "never"}</dd>
        </div>
      </dl>

      {grants.length ? (
        <div className="mt-3 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-950" data-testid="secret-grants">
          <p className="font-medium">
            Held by {grants.length === 1 ? "1 running job" : `${grants.length} running jobs`}:
          </p>
          <ul className="mt-1 space-y-1">
            {grants.map((g) => (
              <li key={g.jobId}>
                as <CodeList names={g.envVars} /> in job <code title={g.jobId}>{shortJobId(g.jobId)}</code>, access ends{" "}
                <Time value={g.expiresAt} relative />
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="mt-2 text-sm text-slate-500">No running job holds it.</p>
      )}

      {/* The disclosures' panels open below the row of buttons, which stays where it is (globals.css). */}
      <div className="disclosure-row mt-3 flex flex-wrap items-start gap-2">
        <details name={`${anchor}-actions`} open={error !== null}>
          <summary className={`${summaryStyles} ${buttonStyles.secondary}`}>
            Replace value<span className="sr-only"> of {name}</span>
          </summary>
          <form method="post" action="/settings/secrets/save" autoComplete="off" className="mt-3 grid gap-3 rounded-lg border border-slate-200 p-4">
            <input type="hidden" name="intent" value="replace" />
            <input type="hidden" name="name" value={name} />
            {error ? (
              <StatusMessage tone="error" id={`${anchor}-error`}>
                {SECRET_ERRORS[error]}
              </StatusMessage>
            ) : null}
            <ValueField
              id={`${anchor}-value`}
              label={
                <>
                  New value for <span className="font-mono">{name}</span>
                </>
              }
              help="The current value is not shown. Saving replaces it; running jobs get the new value the next time they fetch it."
              invalid={error !== null}
              errorId={`${anchor}-error`}
            />
            <div>
              <button type="submit" className={buttonStyles.primary}>
                Save new value<span className="sr-only"> for {name}</span>
              </button>
            </div>
          </form>
        </details>

        <details name={`${anchor}-actions`}>
          <summary className={`${summaryStyles} ${buttonStyles.danger}`}>
            Delete<span className="sr-only"> {name}</span>
          </summary>
          <form method="post" action="/settings/secrets/delete" className="mt-3 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-950">
            <input type="hidden" name="name" value={name} />
            <p>
              Delete <span className="font-mono font-semibold">{name}</span>? Agents will no longer be able to use it. This cannot be
              undone.
            </p>
            {grants.length ? (
              <p className="mt-2 font-medium" data-testid="delete-warning">
                {grants.length === 1 ? "1 running job holds" : `${grants.length} running jobs hold`} this secret and will lose access at
                once: {grants.map((g) => `${listFormat.format(g.envVars)} in job ${shortJobId(g.jobId)} (until ${formatTime(g.expiresAt)})`).join("; ")}.
              </p>
            ) : null}
            <button type="submit" className={`mt-3 ${buttonStyles.dangerSolid}`}>
              Yes, delete {name}
            </button>
          </form>
        </details>
      </div>
    </li>
  );
}


/**
 * A secret's value box: masked while typed, with a "Show value" checkbox that reveals it. Both are plain CSS
 * (globals.css), so it works before and without any script, like the rest of the portal.
 */
function ValueField({ id, label, help, invalid, errorId }: { id: string; label: React.ReactNode; help: string; invalid: boolean; errorId: string }) {
  return (
    <div className="secret-field">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      <textarea
        id={id}
        {...valueFieldProps}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={`${id}-help${invalid ? ` ${errorId}` : ""}`}
        className={`${fieldStyles} secret-value font-mono`}
      />
      <div className="mt-1 flex flex-wrap items-start justify-between gap-x-4 gap-y-1">
        <p id={`${id}-help`} className="min-w-0 flex-1 basis-60 text-xs text-slate-600">
          {help}
        </p>
        <label className="inline-flex shrink-0 cursor-pointer items-center gap-1.5 text-sm text-slate-700">
          <input type="checkbox" className="secret-reveal size-4 accent-indigo-700" aria-controls={id} autoComplete="off" />
          Show value
        </label>
      </div>
    </div>
  );
}
