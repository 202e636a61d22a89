// What a secrets form post may report back through the URL: fixed flags and valid secret names only,
// never anything typed into a value field (and never an invalid name, which may be a pasted value).
import { MAX_SECRET_BYTES, SECRET_NAME_PATTERN } from "@/lib/secrets/names";

export const SECRET_ERRORS = {
  invalid_name: "A secret name starts with a letter and has at most 64 characters: letters, digits, underscores, dots or hyphens.",
  empty_value: "Enter the value to store. It must not be empty.",
  value_too_large: `The value must be at most ${MAX_SECRET_BYTES / 1024} KiB.`,
  invalid_value: "The value must be valid text.",
  exists: "You already have a secret with this name. To change its value, use “Replace value” on it in Your secrets above.",
  not_found: "That secret no longer exists, so nothing was changed.",
} as const;

export type SecretErrorCode = keyof typeof SECRET_ERRORS;

export type SecretForm = "create" | "replace";

export const isSecretErrorCode = (v: unknown): v is SecretErrorCode => typeof v === "string" && Object.hasOwn(SECRET_ERRORS, v);

export const validSecretName = (v: unknown): string | null => (typeof v === "string" && SECRET_NAME_PATTERN.test(v) ? v : null);

/** The id of a secret's row on the page, which redirects also use as their fragment. */
export const secretAnchor = (name: string) => `secret-${name}`;

/** Where a secrets form post sends the person back to; a name goes in only when it is a valid secret name. */
export function secretsPageUrl({ error, form, ...names }: { saved?: string; deleted?: string; error?: SecretErrorCode; name?: string | null; form?: SecretForm }) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(names)) {
    const name = validSecretName(value);
    if (name) query.set(key, name);
  }
  if (error) query.set("error", error);
  if (form) query.set("form", form);
  // Errors scroll to the form they belong to; confirmations show at the top of the page.
  const target = validSecretName(names.name);
  const fragment = form === "create" ? "#add" : form === "replace" && target ? `#${secretAnchor(target)}` : "";
  return `/settings/secrets?${query}${fragment}`;
}
