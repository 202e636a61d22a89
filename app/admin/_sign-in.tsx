import { getConfig } from "@/lib/config";
import { StandaloneCard } from "../_lib/standalone-card";

/** /admin without an admin session (401): sign in with the identity provider, or ask for a one-time admin link. */
export function AdminSignIn() {
  const oauth = getConfig().settingsOAuth;
  return (
    <StandaloneCard title="Sign in to the admin console">
      <p className="mt-3 text-slate-700">The admin console is for owners and admins of a Gatehouse workspace.</p>
      {oauth ? (
        <>
          <form method="post" action="/admin/sign-in" className="mt-6">
            <button type="submit" className="w-full rounded-lg bg-indigo-700 px-4 py-2.5 font-semibold text-white hover:bg-indigo-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-700">
              Sign in with {oauth.providerName}
            </button>
          </form>
          <p className="mt-4 text-sm text-slate-600">
            Use the account you linked when you first opened a settings link from your chat. First time here? Ask your
            agent for the admin console, or open a settings link once to link your account.
          </p>
        </>
      ) : (
        <p className="mt-3 text-slate-700">
          Ask your agent to &ldquo;open the admin console&rdquo; and tap the button it sends you, or ask the operator for a
          one-time admin link (<code className="rounded bg-slate-100 px-1">gatehouse link admin</code>).
        </p>
      )}
      <p className="mt-3 text-sm text-slate-600">If you were signed in before, your admin session has ended.</p>
    </StandaloneCard>
  );
}
