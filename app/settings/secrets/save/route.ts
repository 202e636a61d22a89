// POST /settings/secrets/save (form: name, value, intent=create|replace) – store a secret's value, write-only.
// Every outcome is a 303 back to the Secrets page with a fixed flag; the value never travels back.
import { typedNameCookie } from "@/lib/auth/cookies";
import type { AppError } from "@/lib/errors";
import { MAX_SECRET_BYTES, putSecret } from "@/lib/secrets/store";
import { withPortalForm } from "../../../_lib/portal-form";
import { secretsPageUrl, validSecretName, type SecretErrorCode, type SecretForm } from "../_status";

// A 16 KiB value percent-encodes to at most 48 KiB; anything larger cannot be a valid secret.
const MAX_FORM_BYTES = 64 * 1024;

// Browsers submit a textarea's line breaks as CRLF whatever was typed or pasted; store them as LF.
const formValue = (form: URLSearchParams) => (form.get("value") ?? "").replace(/\r\n/g, "\n");

const intentOf = (form: URLSearchParams | null): SecretForm => (form?.get("intent") === "replace" ? "replace" : "create");

function errorCode(err: AppError, form: URLSearchParams | null): SecretErrorCode | null {
  if (err.code === "payload_too_large") return "value_too_large";
  if (err.code === "conflict") return "exists";
  if (err.code !== "validation_failed" || !form) return null;
  // putSecret's checks, told apart by the same shared rules so the page can say which field was wrong.
  if (!validSecretName(form.get("name"))) return "invalid_name";
  const value = formValue(form);
  if (value === "") return "empty_value";
  if (Buffer.byteLength(value, "utf8") > MAX_SECRET_BYTES) return "value_too_large";
  return "invalid_value";
}

export const POST = withPortalForm(
  async ({ form, portal, ip }) => {
    const owner = { workspaceId: portal.workspace.id, userId: portal.user.id };
    const name = form.get("name") ?? "";
    // "Add" never overwrites: replacing is the explicit, separate action on an existing secret.
    await putSecret({ ...owner, name, value: formValue(form), actor: { type: "user", id: owner.userId }, ip, onlyIfNew: intentOf(form) === "create" });
    return { location: secretsPageUrl({ saved: name }), setCookies: [typedNameCookie.clear()] };
  },
  {
    maxBytes: MAX_FORM_BYTES,
    errorRedirect: (err, form, headers) => {
      const error = errorCode(err, form);
      if (!error) return null;
      const intent = intentOf(form);
      if (intent === "replace") return secretsPageUrl({ error, form: intent, name: form?.get("name") });
      // A name typed into "Add" may be a pasted value: it comes back in a short-lived cookie, never in the URL.
      return { location: secretsPageUrl({ error, form: intent }), setCookies: [typedNameCookie.serialize(form?.get("name") ?? "", headers)] };
    },
  },
);
