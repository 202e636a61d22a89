// Typed client for the fake authorization server's /__fake control plane (./oauth-as.ts), for tests in another
// process (Playwright against the e2e server). `baseUrl` is the AS issuer (its origin).
import { request } from "./control";
import type { IntrospectionResponse, OAuthASStats, RefreshScript } from "./oauth-as";

export function oauthAsControl(baseUrl: string) {
  return {
    stats: () => request<OAuthASStats>(baseUrl, "/__fake/stats"),
    script: (script: RefreshScript) => request<{ ok: true }>(baseUrl, "/__fake/script", { method: "POST", body: script }).then(() => undefined),
    introspect: (token: string) => request<IntrospectionResponse>(baseUrl, "/__fake/introspect", { method: "POST", body: { token } }),
    reset: () => request<{ ok: true }>(baseUrl, "/__fake/reset", { method: "POST" }).then(() => undefined),
  };
}

export type OAuthAsControl = ReturnType<typeof oauthAsControl>;
