import { describe, expect, it } from "vitest";
import { checkGrantShapes, connectionGrantRef, isDeniedEnvVar } from "./grants";

describe("grant env vars", () => {
  it.each([
    "PATH", "HOME", "SHELL", "USER", "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "PYTHONPATH",
    "PYTHONWARNINGS", "PYTHONBREAKPOINT", "BROWSER", "BASH_ENV", "BASH_FUNC_X%%", "ENV", "PS4", "PROMPT_COMMAND",
    "GIT_SSH_COMMAND", "GIT_PAGER", "GIT_PROXY_COMMAND", "GIT_CONFIG_GLOBAL", "PAGER", "MANPAGER", "LESSOPEN",
    "NPM_CONFIG_REGISTRY", "NPM_CONFIG_SCRIPT_SHELL", "YARN_RC_FILENAME", "PIP_INDEX_URL", "GOFLAGS", "GOPROXY",
    "RUSTC_WRAPPER", "CARGO_HOME", "CC", "MAKEFLAGS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JAVA_OPTS", "MAVEN_OPTS",
    "PERL5OPT", "RUBYOPT", "PHPRC", "LUA_INIT", "SSLKEYLOGFILE", "OPENSSL_CONF", "OPENSSL_MODULES", "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "HTTP_PROXY", "HTTPS_PROXY",
    "ALL_PROXY", "GRPC_PROXY", "XDG_CONFIG_HOME", "ZDOTDIR", "SSH_AUTH_SOCK", "DOCKER_HOST", "KUBECONFIG",
    "GLIBC_TUNABLES", "MALLOC_CONF", "GATEHOUSE_MASTER_KEYS", "EDITOR", "GIT_EDITOR",
  ])("denies %s", (name) => {
    expect(isDeniedEnvVar(name)).toBe(true);
  });

  it.each([
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "GOOGLE_API_KEY", "SLACK_BOT_TOKEN", "DATABASE_URL", "STRIPE_SECRET_KEY", "NPM_TOKEN", "NODE_AUTH_TOKEN",
    "CARGO_REGISTRY_TOKEN", "DOCKER_PASSWORD", "SSH_PRIVATE_KEY", "API_KEY", "TOKEN", "X",
  ])("allows %s", (name) => {
    expect(isDeniedEnvVar(name)).toBe(false);
  });

  it("reports each problem per grant", () => {
    const { problems, tooMany } = checkGrantShapes([
      { secret: "OK", envVar: "OK" },
      { secret: "1bad", envVar: "lower" },
      { secret: "A", envVar: "PATH" },
      { secret: "B", envVar: "OK" },
    ]);
    expect(tooMany).toBe(false);
    expect(problems).toEqual([
      { index: 1, secret: "1bad", envVar: "lower", reasons: ["invalid_secret_name", "invalid_env_var"] },
      { index: 2, secret: "A", envVar: "PATH", reasons: ["env_var_not_allowed"] },
      { index: 3, secret: "B", envVar: "OK", reasons: ["duplicate_env_var"] },
    ]);
    expect(checkGrantShapes(Array.from({ length: 21 }, (_, i) => ({ secret: "S", envVar: `V${i}` }))).tooMany).toBe(true);
  });

  it("checks connection and MCP grants by shape, envVar unique across every kind", () => {
    const { problems } = checkGrantShapes([
      { connection: "github", envVar: "GH_TOKEN" },
      { connection: "Git_Hub", envVar: "X1" },
      { mcp: "http://mcp.example.test/mcp", envVar: "X2" },
      { mcp: "https://u:p@mcp.example.test/mcp", envVar: "X3" },
      { mcp: "https://mcp.example.test/mcp", envVar: "GH_TOKEN" },
      { secret: "S", envVar: "X2" },
    ]);
    expect(problems).toEqual([
      { index: 1, connection: "Git_Hub", envVar: "X1", reasons: ["invalid_provider_id"] },
      { index: 2, mcp: "http://mcp.example.test/mcp", envVar: "X2", reasons: ["invalid_mcp_server_url"] },
      { index: 3, mcp: "https://u:p@mcp.example.test/mcp", envVar: "X3", reasons: ["invalid_mcp_server_url"] },
      { index: 4, mcp: "https://mcp.example.test/mcp", envVar: "GH_TOKEN", reasons: ["duplicate_env_var"] },
      { index: 5, secret: "S", envVar: "X2", reasons: ["duplicate_env_var"] },
    ]);
    expect(connectionGrantRef({ mcp: "https://MCP.example.test/mcp", envVar: "M" })).toEqual({ kind: "mcp", ref: "https://mcp.example.test/mcp" });
    expect(connectionGrantRef({ connection: "github", envVar: "G" })).toEqual({ kind: "connection", ref: "github" });
    expect(connectionGrantRef({ secret: "github", envVar: "G" })).toBeNull();
    const mixed = Array.from({ length: 21 }, (_, i) => (i % 2 ? { connection: "github", envVar: `V${i}` } : { secret: "S", envVar: `V${i}` }));
    expect(checkGrantShapes(mixed).tooMany).toBe(true);
  });
});
