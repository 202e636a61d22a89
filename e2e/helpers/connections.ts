// Connections in e2e: the operator adds a provider through the real CLI (the client secret on stdin, as the README
// says), and the specs watch the real authorization servers that scripts/e2e-server.ts started.
import { spawn } from "node:child_process";
import type { Page } from "@playwright/test";
import { expect } from "@playwright/test";
import { authorizeHeadless } from "../../test/fakes/oauth-as";
import { oauthAsControl } from "../../test/fakes/oauth-control";
import { E2E_CONNECT_AS_URL, E2E_CONNECT_CLIENT_ID, E2E_CONNECT_CLIENT_SECRET, E2E_ENV, E2E_MCP_AS_URL, E2E_PLAIN_BASE_URL } from "./env";

export const connectAs = oauthAsControl(E2E_CONNECT_AS_URL);
export const mcpAs = oauthAsControl(E2E_MCP_AS_URL);

/** `gatehouse provider add … --client-secret-stdin` with the e2e provider's client, as an operator would run it. */
export async function addTestProvider(workspaceId: string, id = "corp"): Promise<void> {
  const args = ["scripts/cli.mjs", "provider", "add", "--workspace", workspaceId, "--id", id, "--template", "generic-oidc", "--client-id", E2E_CONNECT_CLIENT_ID, "--client-secret-stdin", "--issuer", E2E_CONNECT_AS_URL, "--scopes", "openid email offline_access", "--json"];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...E2E_ENV }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  child.stdin.end(E2E_CONNECT_CLIENT_SECRET);
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? 1)));
  expect(code, `provider add: ${out}`).toBe(0);
  expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ providerId: id });
}

/**
 * Runs `start` (the click that leaves for the provider), then fills in oidc-provider's development login and consent
 * pages (/interaction/<uid>) as a person would, until the browser is back on `returnTo` with the outcome in its query
 * (connected, reconnected, added or error). A second authorization in the same browser may skip either page.
 */
export async function passProvider(page: Page, login: string, returnTo: string, start: () => Promise<void>) {
  const done = (u: URL) => `${u.origin}${u.pathname}` === returnTo && ["connected", "reconnected", "added", "error"].some((k) => u.searchParams.has(k));
  expect(done(new URL(page.url())), "start from a page without an outcome").toBe(false);
  const settled = (u: URL) => done(u) || /^\/interaction\/[^/]+$/.test(u.pathname);
  await start();
  await page.waitForURL(settled);
  for (let step = 0; step < 4 && !done(new URL(page.url())); step++) {
    const before = page.url();
    const form = page.locator("input[name=login]");
    if (await form.isVisible()) {
      await form.fill(login);
      await page.locator("input[name=password]").fill("any password");
      await page.getByRole("button", { name: /sign-in/i }).click();
    } else {
      await page.getByRole("button", { name: /^continue$/i }).click();
    }
    await page.waitForURL((u) => settled(u) && u.href !== before);
  }
  expect(done(new URL(page.url())), page.url()).toBe(true);
}

/**
 * Connects `providerId` for the portal session `session` through the real endpoints (plain fetch, no cookie jar):
 * Connect's POST, the provider's login and consent (headless), the callback. Returns the callback's Location.
 */
export async function connectThroughPortal(session: string, providerId: string, login = "alice"): Promise<string> {
  const headers = { Cookie: `gh_session=${session}`, Origin: E2E_PLAIN_BASE_URL, "Content-Type": "application/x-www-form-urlencoded" };
  const start = await fetch(`${E2E_PLAIN_BASE_URL}/settings/connections/connect`, { method: "POST", headers, body: new URLSearchParams({ provider: providerId }), redirect: "manual" });
  expect(start.status).toBe(303);
  const back = await authorizeHeadless(start.headers.get("location")!, login);
  const done = await fetch(`${E2E_PLAIN_BASE_URL}${back.pathname}${back.search}`, { headers: { Cookie: headers.Cookie }, redirect: "manual" });
  return done.headers.get("location") ?? `HTTP ${done.status}`;
}
