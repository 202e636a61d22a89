// Gatehouse's provider templates (SPEC §12), written from each provider's public OAuth/OIDC documentation. Data
// only: the connect flow reads it, `provider add` validates against it. A provider row stores the template name
// and, for the generic templates, the operator's endpoints; the named templates' endpoints live only here.

/** How Gatehouse authenticates to the token endpoint (RFC 8414 `token_endpoint_auth_methods_supported` names). */
export type TokenEndpointAuth = "client_secret_basic" | "client_secret_post";

/** Where the upstream account's display name ("connected as …") comes from; the first field present wins. */
export type AccountSource =
  | { from: "id_token"; claims: readonly string[] }
  | { from: "userinfo"; fields: readonly string[] }
  | { from: "token_response"; path: readonly string[] }
  | { from: "graphql"; url: string; query: string; path: readonly string[] };

export type Revocation = { url: string } | { url: null; note: string };

type Common = {
  label: string;
  defaultScopes: readonly string[];
  /** The `scope` parameter's separator; RFC 6749 says space, a few providers document a comma. */
  scopeSeparator: " " | ",";
  /** false only where the provider's documentation says it does not take PKCE; otherwise S256 is always sent. */
  pkce: boolean;
  tokenEndpointAuth: TokenEndpointAuth;
  account: AccountSource;
  /** Extra authorization-request parameters the provider needs (e.g. for a refresh token). */
  authorizationParams: Readonly<Record<string, string>>;
  docs: string;
};

/** Endpoints come from the issuer's discovery document (`/.well-known/openid-configuration`). */
export type OidcTemplate = Common & { kind: "oidc"; issuer: string; revocation: Revocation };

/** Endpoints are fixed by the template. */
export type OAuth2Template = Common & {
  kind: "oauth2";
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string | null;
  revocation: Revocation;
};

/** The operator supplies the endpoints (`--issuer`, or `--auth-url`/`--token-url`/…). */
export type GenericTemplate = Common & { kind: "generic-oidc" | "generic-oauth2" };

export type ProviderTemplate = OidcTemplate | OAuth2Template | GenericTemplate;

export const TEMPLATE_NAMES = ["github", "google", "slack", "linear", "notion", "generic-oidc", "generic-oauth2"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export const CATALOG: Readonly<Record<TemplateName, ProviderTemplate>> = deepFreeze({
  // An OAuth app (docs.github.com "Authorizing OAuth apps"). Not OIDC: the account is the REST API user's login.
  github: {
    kind: "oauth2",
    label: "GitHub",
    authorizationUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    userinfoUrl: "https://api.github.com/user",
    revocation: {
      url: null,
      note: "GitHub has no RFC 7009 endpoint; its token/grant deletion is DELETE /applications/{client_id}/token with the app's basic auth, not used here. Users revoke under Settings → Applications.",
    },
    defaultScopes: ["read:user"],
    scopeSeparator: " ",
    pkce: true,
    tokenEndpointAuth: "client_secret_post",
    account: { from: "userinfo", fields: ["login"] },
    authorizationParams: {},
    docs: "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
  },
  // OpenID Connect (developers.google.com/identity/openid-connect). A refresh token is only issued for
  // access_type=offline, and again on a later consent only with prompt=consent.
  google: {
    kind: "oidc",
    label: "Google",
    issuer: "https://accounts.google.com",
    revocation: { url: "https://oauth2.googleapis.com/revoke" },
    defaultScopes: ["openid", "email", "profile"],
    scopeSeparator: " ",
    pkce: true,
    tokenEndpointAuth: "client_secret_post",
    account: { from: "id_token", claims: ["email", "sub"] },
    authorizationParams: { access_type: "offline", prompt: "consent" },
    docs: "https://developers.google.com/identity/openid-connect/openid-connect",
  },
  // "Sign in with Slack", Slack's OpenID Connect flow (issuer https://slack.com; openid.connect.token takes a
  // code_verifier). Chosen over the OAuth v2 app flow because that one answers oauth.v2.access with the user's token
  // nested under `authed_user`, which no standard OAuth client reads. The cost: these tokens carry only the openid,
  // email and profile scopes (they identify the account; they do not call the Slack Web API).
  slack: {
    kind: "oidc",
    label: "Slack",
    issuer: "https://slack.com",
    revocation: {
      url: null,
      note: "Slack revokes with its auth.revoke Web API method (the token as a bearer), not an RFC 7009 endpoint.",
    },
    defaultScopes: ["openid", "email", "profile"],
    scopeSeparator: " ",
    pkce: true,
    tokenEndpointAuth: "client_secret_post",
    account: { from: "id_token", claims: ["email", "sub"] },
    authorizationParams: {},
    docs: "https://api.slack.com/authentication/sign-in-with-slack",
  },
  // Linear OAuth 2 (linear.app/developers/oauth-2-0-authentication). Scopes are comma-separated in its docs. No
  // userinfo endpoint: the account is the GraphQL viewer's e-mail.
  linear: {
    kind: "oauth2",
    label: "Linear",
    authorizationUrl: "https://linear.app/oauth/authorize",
    tokenUrl: "https://api.linear.app/oauth/token",
    userinfoUrl: null,
    revocation: {
      url: null,
      note: "Linear revokes at POST https://api.linear.app/oauth/revoke with the token as a bearer, not an RFC 7009 form body; not used here.",
    },
    defaultScopes: ["read"],
    scopeSeparator: ",",
    pkce: true,
    tokenEndpointAuth: "client_secret_post",
    account: { from: "graphql", url: "https://api.linear.app/graphql", query: "{ viewer { email } }", path: ["data", "viewer", "email"] },
    authorizationParams: {},
    docs: "https://linear.app/developers/oauth-2-0-authentication",
  },
  // A Notion public integration (developers.notion.com/docs/authorization): no PKCE in its documented flow, HTTP
  // basic auth on the token request, no scopes (capabilities are set on the integration), owner=user required. The
  // token response names the user.
  notion: {
    kind: "oauth2",
    label: "Notion",
    authorizationUrl: "https://api.notion.com/v1/oauth/authorize",
    tokenUrl: "https://api.notion.com/v1/oauth/token",
    userinfoUrl: null,
    revocation: {
      url: null,
      note: "Notion's POST /v1/oauth/revoke takes a JSON body and a Notion-Version header, not RFC 7009's form request; not used by the standard disconnect.",
    },
    defaultScopes: [],
    scopeSeparator: " ",
    pkce: false,
    tokenEndpointAuth: "client_secret_basic",
    account: { from: "token_response", path: ["owner", "user", "person", "email"] },
    authorizationParams: { owner: "user" },
    docs: "https://developers.notion.com/docs/authorization",
  },
  // Any OpenID Connect provider: --issuer, endpoints (revocation included, when advertised) from its discovery.
  "generic-oidc": {
    kind: "generic-oidc",
    label: "OpenID Connect",
    defaultScopes: ["openid", "email"],
    scopeSeparator: " ",
    pkce: true,
    tokenEndpointAuth: "client_secret_basic",
    account: { from: "id_token", claims: ["email", "preferred_username", "sub"] },
    authorizationParams: {},
    docs: "https://openid.net/specs/openid-connect-discovery-1_0.html",
  },
  // Any OAuth 2 provider: --auth-url and --token-url, optionally --userinfo-url (for the account) and
  // --revocation-url (RFC 7009).
  "generic-oauth2": {
    kind: "generic-oauth2",
    label: "OAuth 2",
    defaultScopes: [],
    scopeSeparator: " ",
    pkce: true,
    tokenEndpointAuth: "client_secret_basic",
    account: { from: "userinfo", fields: ["email", "login", "preferred_username", "username", "sub", "id"] },
    authorizationParams: {},
    docs: "https://www.rfc-editor.org/rfc/rfc6749",
  },
} satisfies Record<TemplateName, ProviderTemplate>);

export function isTemplateName(value: unknown): value is TemplateName {
  return typeof value === "string" && (TEMPLATE_NAMES as readonly string[]).includes(value);
}

/** Which endpoint options a template needs (required) and accepts (required or optional); all others are refused. */
export function endpointRules(template: TemplateName): { required: readonly EndpointOption[]; optional: readonly EndpointOption[] } {
  const kind = CATALOG[template].kind;
  if (kind === "generic-oidc") return { required: ["issuer"], optional: [] };
  if (kind === "generic-oauth2") return { required: ["authUrl", "tokenUrl"], optional: ["userinfoUrl", "revocationUrl"] };
  return { required: [], optional: [] };
}

export type EndpointOption = "issuer" | "authUrl" | "tokenUrl" | "userinfoUrl" | "revocationUrl";
