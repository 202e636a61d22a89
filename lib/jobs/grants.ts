// Grant validation (SPEC §6, §12): which secret or connection a job may read, under which environment variable.
import { canonicalMcpServerUrl, PROVIDER_ID_PATTERN } from "../links/purpose";
import { SECRET_NAME_PATTERN } from "../secrets/names";

export const MAX_GRANTS = 20;
export const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;

// Variables that change how the job's processes run (loaders, interpreters, proxies, trust stores, …): no grant may
// set them. Credential-shaped names in denied families (NODE_AUTH_TOKEN, …) stay grantable: tools only read them as credentials.
const DENIED = new Set([
  "PATH", "HOME", "SHELL", "USER", "LOGNAME", "PWD", "OLDPWD", "TMPDIR", "TMP", "TEMP", "TERM", "IFS", "ENV",
  "PS0", "PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND", "CDPATH", "HISTFILE", "HOSTNAME", "LANG", "LANGUAGE", "TZ",
  "MAIL", "BROWSER", "ZDOTDIR", "INPUTRC", "SHELLOPTS", "TERMINFO", "LOCPATH", "NLSPATH", "GCONV_PATH",
  "HOSTALIASES", "RESOLV_HOST_CONF", "RES_OPTIONS", "LOCALDOMAIN", "CLASSPATH", "SSLKEYLOGFILE",
  "CC", "CXX", "CPP", "LD", "AR", "MAKEFLAGS", "MAKEFILES", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS",
  "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "CURL_HOME", "WGETRC", "NETRC",
  "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "GOOGLE_APPLICATION_CREDENTIALS",
  "SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "GPG_AGENT_INFO", "GNUPGHOME",
  "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY", "DOCKER_CONTEXT", "KUBECONFIG",
  "GOFLAGS", "GOPROXY", "GOPATH", "GOROOT", "GOTOOLCHAIN", "GOENV", "GOSUMDB", "GONOSUMDB", "GOPRIVATE",
  "GOINSECURE", "GONOPROXY", "GOBIN", "GOCACHE", "GOMODCACHE", "GOEXPERIMENT", "GODEBUG",
  "RUSTC_WRAPPER", "RUSTC", "RUSTFLAGS", "RUSTDOCFLAGS",
]);
const DENIED_PREFIXES = [
  "LD_", "DYLD_", "BASH", "MALLOC_", "GLIBC_", "PYTHON", "NODE_", "NPM_CONFIG_", "YARN_", "PNPM_", "PIP_",
  "UV_", "PERL", "RUBY", "GEM_", "BUNDLE_", "JAVA_", "_JAVA_", "JDK_", "MAVEN_", "GRADLE_", "LUA_", "PHP",
  "CARGO_", "GIT_", "OPENSSL_", "SSL_", "LESS", "XDG_", "KUBE", "GATEHOUSE_", "GRPC_", "CGO_", "DOTNET_",
  "COMPlus_", "CORECLR_", "R_", "JULIA_",
];
const DENIED_SUFFIXES = ["_PROXY", "_CA_BUNDLE", "_CAINFO", "_CAPATH", "_OPTS", "_OPTIONS", "PAGER", "EDITOR", "VISUAL", "_PRELOAD"];
const CREDENTIAL_SUFFIXES = ["_TOKEN", "_API_KEY", "_APIKEY", "_SECRET", "_SECRET_KEY", "_PASSWORD", "_ACCESS_KEY_ID", "_SECRET_ACCESS_KEY"];

export function isDeniedEnvVar(name: string): boolean {
  if (DENIED.has(name)) return true;
  if (DENIED_SUFFIXES.some((s) => name.endsWith(s))) return true;
  if (!DENIED_PREFIXES.some((p) => name.startsWith(p))) return false;
  return !CREDENTIAL_SUFFIXES.some((s) => name.endsWith(s));
}

export type SecretGrantInput = { secret: string; envVar: string };
/** `connection` is a provider id of the workspace; the job gets the owner's connection to it. */
export type ConnectionGrantInput = { connection: string; envVar: string };
/** `mcp` is a remote MCP server's URL; the job gets the owner's connection to that server. */
export type McpGrantInput = { mcp: string; envVar: string };
export type GrantInput = SecretGrantInput | ConnectionGrantInput | McpGrantInput;
export type GrantProblem = GrantInput & { index: number; reasons: string[] };

export const isSecretGrant = (g: GrantInput): g is SecretGrantInput => "secret" in g;
export const isConnectionGrant = (g: GrantInput): g is ConnectionGrantInput => "connection" in g;
export const isMcpGrant = (g: GrantInput): g is McpGrantInput => "mcp" in g;

/** What a connection grant names, as stored in job_connection_grants (kind, ref); null when it names nothing valid. */
export function connectionGrantRef(g: GrantInput): { kind: "connection" | "mcp"; ref: string } | null {
  if (isConnectionGrant(g)) return PROVIDER_ID_PATTERN.test(g.connection) ? { kind: "connection", ref: g.connection } : null;
  if (isMcpGrant(g)) {
    const url = canonicalMcpServerUrl(g.mcp);
    return url === null ? null : { kind: "mcp", ref: url };
  }
  return null;
}

export function checkGrantShapes(grants: GrantInput[]): { problems: GrantProblem[]; tooMany: boolean } {
  const seen = new Map<string, number>();
  const problems: GrantProblem[] = [];
  grants.forEach((g, index) => {
    const reasons: string[] = [];
    if (isSecretGrant(g)) {
      if (!SECRET_NAME_PATTERN.test(g.secret)) reasons.push("invalid_secret_name");
    } else if (isConnectionGrant(g)) {
      if (connectionGrantRef(g) === null) reasons.push("invalid_provider_id");
    } else if (connectionGrantRef(g) === null) reasons.push("invalid_mcp_server_url");
    if (!ENV_VAR_PATTERN.test(g.envVar)) reasons.push("invalid_env_var");
    else if (isDeniedEnvVar(g.envVar)) reasons.push("env_var_not_allowed");
    if (seen.has(g.envVar)) reasons.push("duplicate_env_var");
    else seen.set(g.envVar, index);
    if (reasons.length) problems.push({ index, ...g, reasons });
  });
  return { problems, tooMany: grants.length > MAX_GRANTS };
}
