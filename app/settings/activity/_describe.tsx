// Audit events as sentences a person can read. Only named fields of an event's data are shown (secret names,
// env var names, job ids, reasons), never anything else it may carry; the audit log never holds values anyway.
import type { ActivityEvent } from "@/lib/audit/list";
import { CodeList, shortJobId } from "../_ui";

type Described = { text: React.ReactNode; by?: string };

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);


function Job({ id, start = false }: { id: string | null; start?: boolean }) {
  if (!id) return <>{start ? "A job" : "a job"}</>;
  return (
    <>
      {start ? "Job" : "job"}{" "}
      <code className="font-semibold" title={id}>
        {shortJobId(id)}
      </code>
    </>
  );
}

/** "OPENAI as OPENAI_API_KEY and GH as GITHUB_TOKEN", from pairs recorded side by side. */
function Grants({ pairs }: { pairs: { secret: string; envVar: string }[] }) {
  return (
    <>
      {pairs.map((p, i) => (
        <span key={i}>
          {i === 0 ? "" : i === pairs.length - 1 ? " and " : ", "}
          <code className="font-semibold">{p.secret}</code> as <code>{p.envVar}</code>
        </span>
      ))}
    </>
  );
}

const SIGN_IN_METHODS: Record<string, string> = { link: "with a settings link", oauth: "with a settings link and your sign-in account", telegram: "from Telegram" };

const DENY_REASONS: Record<string, string> = {
  job_not_running: "the job had already ended",
  job_expired: "the job had expired",
  owner_gone: "your account no longer exists",
  membership_gone: "you are no longer a member of this workspace",
  secret_deleted: "a secret granted to it was deleted",
  decrypt_failed: "a secret could not be decrypted",
};

const SESSION_END_REASONS: Record<string, string> = {
  signed_out: "You signed out one of your sessions",
  signed_out_others: "You signed out your other sessions",
  replaced_or_signed_out: "A session of yours ended (signed out, or replaced by a new sign-in)",
  membership_removed: "Your sessions ended because you were removed from the workspace",
};

const jobIdOf = (e: ActivityEvent) => (e.target?.startsWith("job:") ? e.target.slice(4) : str(e.data.jobId));

function actorLabel(e: ActivityEvent, userId: string): string | undefined {
  switch (e.actorType) {
    case "user":
      // The sentence already says "You …".
      return e.actorId === userId ? undefined : "another member";
    case "admin":
      return "a workspace admin";
    case "service":
      return "your agent's orchestrator";
    case "job":
      // The sentence names the job.
      return undefined;
    case "system":
      return e.actorId === "cli" ? "an operator" : "Gatehouse";
    default:
      return undefined;
  }
}

export function describeEvent(e: ActivityEvent, userId: string): Described {
  const d = e.data;
  const byYou = e.actorType === "user" && e.actorId === userId;
  const by = actorLabel(e, userId);
  const job = <Job id={jobIdOf(e)} />;
  const jobFirst = <Job id={jobIdOf(e)} start />;
  const name = str(d.name);
  const secret = name ? <code className="font-semibold">{name}</code> : <>a secret</>;
  switch (e.action) {
    case "link.created":
      return { text: "A settings link was created for you", by };
    case "link.opened":
      return { text: "You opened a settings link", by };
    case "link.rejected":
      return { text: "A settings link was refused because you were not a member", by };
    case "identity.bound":
      return { text: "Your sign-in account was linked to you", by };
    case "identity.verified":
      return { text: "Your sign-in account was checked", by };
    case "identity.mismatch":
      return { text: "Someone signed in with a different account, so the link was refused", by };
    case "portal.session.created": {
      const method = SIGN_IN_METHODS[str(d.method) ?? ""];
      return { text: method ? `You signed in to settings ${method}` : "You signed in to settings", by };
    }
    case "portal.session.revoked": {
      const count = num(d.count);
      const reason = SESSION_END_REASONS[str(d.reason) ?? ""] ?? "A session of yours ended";
      return { text: count && count > 1 ? `${reason} (${count} sessions)` : reason, by };
    }
    case "telegram.session.created":
      return { text: "You opened your settings from Telegram", by };
    case "member.added": {
      const role = str(d.role);
      const as = role === "owner" ? " as its owner" : role === "admin" ? " as an admin" : role === "member" ? " as a member" : "";
      return { text: `You were added to the workspace${as}`, by };
    }
    case "member.removed":
      return { text: "You were removed from the workspace", by };
    case "secret.created":
      return { text: <>{byYou ? "You added" : "Added"} the secret {secret}</>, by };
    case "secret.replaced":
      return { text: <>{byYou ? "You replaced" : "Replaced"} the value of {secret}</>, by };
    case "secret.deleted":
      return { text: <>{byYou ? "You deleted" : "Deleted"} the secret {secret}</>, by };
    case "job.created": {
      const grants = Array.isArray(d.grants)
        ? d.grants.flatMap((g: unknown) => {
            const pair = g as { secret?: unknown; envVar?: unknown };
            return str(pair.secret) && str(pair.envVar) ? [{ secret: pair.secret as string, envVar: pair.envVar as string }] : [];
          })
        : [];
      return {
        text: grants.length ? (
          <>
            Your agent started {job} with access to <Grants pairs={grants} />
          </>
        ) : (
          <>Your agent started {job}, with no secrets</>
        ),
        by,
      };
    }
    case "job.completed":
      return { text: <>{jobFirst} finished; its access ended</>, by };
    case "job.revoked":
      return { text: <>{byYou ? "You revoked" : "Revoked"} the access of {job}</>, by };
    case "job.expired":
      return { text: <>{jobFirst} expired; its access ended</>, by };
    case "credentials.served": {
      const secrets = strings(d.secrets);
      const envVars = strings(d.envVars);
      const pairs = secrets.length === envVars.length ? secrets.map((s, i) => ({ secret: s, envVar: envVars[i]! })) : [];
      return {
        text: pairs.length ? (
          <>
            {jobFirst} fetched <Grants pairs={pairs} />
          </>
        ) : secrets.length ? (
          <>
            {jobFirst} fetched <CodeList names={secrets} />
          </>
        ) : (
          <>{jobFirst} fetched its credentials</>
        ),
        by,
      };
    }
    case "credentials.denied": {
      const reason = DENY_REASONS[str(d.reason) ?? ""];
      return { text: <>{jobFirst} was refused your secrets{reason ? ` because ${reason}` : ""}</>, by };
    }
    case "token.rotated":
      return { text: <>{jobFirst} replaced its access token</>, by };
    case "token.revoked":
      return { text: <>The access token of {job} was revoked</>, by };
    default:
      return { text: `Recorded: ${e.action}`, by };
  }
}
