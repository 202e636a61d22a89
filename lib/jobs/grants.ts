// Grant validation (SPEC §6): which secret a job may read, under which environment variable.
import { SECRET_NAME_PATTERN } from "../secrets/names";

export const MAX_GRANTS = 20;
export const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]{0,127}$/;

// Variables that change how the job's processes run (loaders, interpreters, shells, proxies, trust stores):
// a grant must never be able to set them, whatever the secret holds.
const DENIED = new Set([
  "PATH", "HOME", "SHELL", "USER", "LOGNAME", "PWD", "OLDPWD", "TMPDIR", "TMP", "TEMP", "TERM", "IFS", "ENV",
  "BASH_ENV", "PS4", "PROMPT_COMMAND", "HOSTNAME", "LANG", "LANGUAGE", "TZ", "MAIL",
  "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED",
  "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONUSERBASE",
  "PERL5LIB", "PERL5OPT", "PERLLIB", "RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH",
  "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH",
  "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF", "MALLOC_CHECK_",
  "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "OPENSSL_CONF",
  "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY",
  "GIT_SSH", "GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR", "SSH_ASKPASS", "EDITOR", "VISUAL", "PAGER",
]);
const DENIED_PREFIXES = ["LD_", "DYLD_", "BASH_FUNC_", "GIT_CONFIG", "GATEHOUSE_"];

export function isDeniedEnvVar(name: string): boolean {
  return DENIED.has(name) || DENIED_PREFIXES.some((p) => name.startsWith(p));
}

export type GrantInput = { secret: string; envVar: string };
export type GrantProblem = { index: number; secret: string; envVar: string; reasons: string[] };

/** Per-grant problems that need no database: names, env var format, denylist, duplicates, count. */
export function checkGrantShapes(grants: GrantInput[]): { problems: GrantProblem[]; tooMany: boolean } {
  const seen = new Map<string, number>();
  const problems: GrantProblem[] = [];
  grants.forEach((g, index) => {
    const reasons: string[] = [];
    if (!SECRET_NAME_PATTERN.test(g.secret)) reasons.push("invalid_secret_name");
    if (!ENV_VAR_PATTERN.test(g.envVar)) reasons.push("invalid_env_var");
    else if (isDeniedEnvVar(g.envVar)) reasons.push("env_var_not_allowed");
    if (seen.has(g.envVar)) reasons.push("duplicate_env_var");
    else seen.set(g.envVar, index);
    if (reasons.length) problems.push({ index, secret: g.secret, envVar: g.envVar, reasons });
  });
  return { problems, tooMany: grants.length > MAX_GRANTS };
}
