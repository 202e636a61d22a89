import type { Metadata } from "next";
import { listSecretGrants } from "@/lib/jobs/lifecycle";
import { listSecrets } from "@/lib/secrets/store";
import { requirePortal } from "../_portal";
import { buttonStyles, Card, formatTime, PageHeading, shortJobId, StatusMessage, Time } from "../_ui";
import { isSecretErrorCode, SECRET_ERRORS, secretAnchor, validSecretName, type SecretErrorCode } from "./_status";

export const metadata: Metadata = { title: "Secrets" };

type Grant = { jobId: string; envVar: string; expiresAt: Date };
type SearchParams = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

const fieldStyles =
  "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-invalid:border-red-500 aria-invalid:ring-1 aria-invalid:ring-red-500";
const summaryStyles = "list-none [&::-webkit-details-marker]:hidden";

/** Value fields: write-only, and kept away from autofill, form restore and spell-check services. */
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
  const [secrets, grants, params] = await Promise.all([listSecrets(owner), listSecretGrants(owner), searchParams]);

  const saved = validSecretName(one(params.saved));
  const deleted = validSecretName(one(params.deleted));
  const rawError = one(params.error);
  const error = isSecretErrorCode(rawError) ? rawError : null;
  const errorForm = one(params.form) === "replace" ? "replace" : "create";
  const errorName = validSecretName(one(params.name));
  const createError = error && errorForm === "create" && error !== "not_found" ? error : null;
  const pageError = error === "not_found" ? error : null;

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
                defaultValue={createError === "exists" ? (errorName ?? "") : ""}
                aria-invalid={createError === "invalid_name" || createError === "exists" ? true : undefined}
                aria-describedby={`new-secret-name-help${createError === "invalid_name" || createError === "exists" ? " add-error" : ""}`}
                className={`${fieldStyles} font-mono sm:max-w-sm`}
              />
              <p id="new-secret-name-help" className="mt-1 text-xs text-slate-600">
                Starts with a letter; up to 64 letters, digits, &lsquo;_&rsquo;, &lsquo;.&rsquo; or &lsquo;-&rsquo;. For example{" "}
                <code>github-token</code>.
              </p>
            </div>
            <div>
              <label htmlFor="new-secret-value" className="block text-sm font-medium">
                Value
              </label>
              <textarea
                id="new-secret-value"
                {...valueFieldProps}
                aria-invalid={createError && createError !== "invalid_name" && createError !== "exists" ? true : undefined}
                aria-describedby={`new-secret-value-help${createError && createError !== "invalid_name" && createError !== "exists" ? " add-error" : ""}`}
                className={`${fieldStyles} font-mono`}
              />
              <p id="new-secret-value-help" className="mt-1 text-xs text-slate-600">
                Up to 16 KiB. It is encrypted when saved and cannot be viewed afterwards.
              </p>
            </div>
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
  grants: Grant[];
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
              <li key={`${g.jobId}-${g.envVar}`}>
                as <code className="font-semibold">{g.envVar}</code> in job <code title={g.jobId}>{shortJobId(g.jobId)}</code>, access
                ends <Time value={g.expiresAt} relative />
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p className="mt-2 text-sm text-slate-500">No running job holds it.</p>
      )}

      <div className="mt-3 flex flex-wrap items-start gap-2">
        <details className="group open:basis-full" open={error !== null}>
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
            <div>
              <label htmlFor={`${anchor}-value`} className="block text-sm font-medium">
                New value for <span className="font-mono">{name}</span>
              </label>
              <textarea
                id={`${anchor}-value`}
                {...valueFieldProps}
                aria-invalid={error ? true : undefined}
                aria-describedby={`${anchor}-value-help${error ? ` ${anchor}-error` : ""}`}
                className={`${fieldStyles} font-mono`}
              />
              <p id={`${anchor}-value-help`} className="mt-1 text-xs text-slate-600">
                The current value is not shown. Saving replaces it; running jobs get the new value the next time they fetch it.
              </p>
            </div>
            <div>
              <button type="submit" className={buttonStyles.primary}>
                Save new value<span className="sr-only"> for {name}</span>
              </button>
            </div>
          </form>
        </details>

        <details className="group open:basis-full">
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
                once: {grants.map((g) => `${g.envVar} in job ${shortJobId(g.jobId)} (until ${formatTime(g.expiresAt)})`).join("; ")}.
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
