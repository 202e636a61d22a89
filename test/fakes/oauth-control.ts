// Typed client for the fake authorization server's /__fake control plane (./oauth-as.ts), for tests in another
// process (Playwright against the e2e server). `baseUrl` is the AS issuer (its origin).
import type { IntrospectionResponse, OAuthASStats, RefreshScript } from "./oauth-as";

async function request<T>(baseUrl: string, path: string, init?: { method: "POST"; body?: unknown }): Promise<T> {
  const res = await fetch(new URL(path, baseUrl), {
    method: init?.method ?? "GET",
    headers: init ? { "content-type": "application/json" } : undefined,
    body: init ? JSON.stringify(init.body ?? {}) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`oauth fake control ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export function oauthAsControl(baseUrl: string) {
  return {
    stats: () => request<OAuthASStats>(baseUrl, "/__fake/stats"),
    script: (script: RefreshScript) => request<{ ok: true }>(baseUrl, "/__fake/script", { method: "POST", body: script }).then(() => undefined),
    introspect: (token: string) => request<IntrospectionResponse>(baseUrl, "/__fake/introspect", { method: "POST", body: { token } }),
    reset: () => request<{ ok: true }>(baseUrl, "/__fake/reset", { method: "POST" }).then(() => undefined),
  };
}

export type OAuthAsControl = ReturnType<typeof oauthAsControl>;
