// Seeding helpers for the HTTP API specs, done the way real callers do it: workspaces, members, service
// tokens and links through the real CLI (one long-lived `gatehouse batch` per worker, e2e/helpers/cli.ts), portal sessions by opening a link on the server
// without an identity provider, secrets through the portal API, jobs through the orchestrator API. Direct SQL
// is used only to simulate time passing (a token's expiry or grace window moved into the past).
import { createHash } from "node:crypto";
import type { APIRequestContext, APIResponse, PlaywrightWorkerArgs } from "@playwright/test";
import pg from "pg";
import { gatehouseAsync, randomName, randomTelegramId } from "./cli";
import { E2E_BASE_URL, E2E_ENV, E2E_PLAIN_BASE_URL } from "./env";
import { expect, randomIp } from "./fixtures";

export const API = E2E_BASE_URL;
export const PORTAL = E2E_PLAIN_BASE_URL;
export const SAME_ORIGIN = { Origin: E2E_PLAIN_BASE_URL } as const;

export const INVALID_TOKEN = { error: { code: "invalid_token", message: "The token is missing, invalid, expired or revoked." } };
export const UNSUPPORTED_SCHEME = { error: { code: "unsupported_auth_scheme", message: "Use the Bearer scheme: Authorization: Bearer <token>." } };
export const NO_SUCH_JOB = { error: { code: "not_found", message: "No such job." } };
export const NOT_A_MEMBER = { error: { code: "not_a_member", message: "The user is not a member of this workspace." } };
export const CREDENTIALS_DENIED = { error: { code: "forbidden", message: "This job may not receive credentials." } };
export const PORTAL_UNAUTHORIZED = {
  error: { code: "unauthorized", message: "Your portal session has ended. Open the settings link from your chat again." },
};
export const NO_SUCH_SECRET = { error: { code: "not_found", message: "You have no secret with that name." } };

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const JOB_TOKEN = /^gh_job_[A-Za-z0-9_-]{43}$/;

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export { gatehouseAsync };

export type Workspace = { workspaceId: string; ownerUserId: string; ownerTelegramId: string };

export async function createWorkspaceAsync(ownerName: string, ownerTelegramId = randomTelegramId()): Promise<Workspace> {
  const ws = await gatehouseAsync<{ workspaceId: string; ownerUserId: string }>(
    "workspace", "create", "--name", randomName(), "--owner-platform", "telegram", "--owner-id", ownerTelegramId, "--owner-name", ownerName,
  );
  return { ...ws, ownerTelegramId };
}

export async function addMemberAsync(workspaceId: string, telegramId: string, name: string): Promise<string> {
  const { userId } = await gatehouseAsync<{ userId: string }>("member", "add", "--workspace", workspaceId, "--platform", "telegram", "--id", telegramId, "--name", name);
  return userId;
}

export async function issueServiceToken(workspaceId: string, ttlSeconds?: number) {
  const ttl = ttlSeconds === undefined ? [] : ["--ttl", String(ttlSeconds)];
  return gatehouseAsync<{ tokenId: string; token: string; expiresAt: string }>("token", "issue", "--workspace", workspaceId, "--kind", "service", ...ttl);
}

export async function revokeTokenById(tokenId: string) {
  await gatehouseAsync("token", "revoke", "--id", tokenId);
}

export async function settingsLinkIdAsync(workspaceId: string, telegramId: string): Promise<string> {
  const { url } = await gatehouseAsync<{ url: string }>("link", "settings", "--workspace", workspaceId, "--platform", "telegram", "--id", telegramId);
  return new URL(url).searchParams.get("s")!;
}

type Playwright = PlaywrightWorkerArgs["playwright"];

/** Opens a settings link on the server without an identity provider; returns the raw `gh_session` value. */
export async function openPortalSession(playwright: Playwright, linkId: string): Promise<string> {
  const ctx = await playwright.request.newContext({ baseURL: PORTAL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  try {
    const res = await ctx.post("/settings/open", { form: { s: linkId }, headers: SAME_ORIGIN, maxRedirects: 0 });
    expect(res.status(), "opening a settings link").toBe(303);
    const cookie = /(?:^|\n)gh_session=([A-Za-z0-9_-]{43});/.exec(res.headers()["set-cookie"] ?? "")?.[1];
    expect(cookie, "gh_session cookie").toBeTruthy();
    return cookie!;
  } finally {
    await ctx.dispose();
  }
}

export const sessionCookie = (session: string) => ({ Cookie: `gh_session=${session}` });

/** Ends a portal session the way a person does: the Sign out form. */
export async function signOut(request: APIRequestContext, session: string) {
  const res = await request.post(`${PORTAL}/settings/sign-out`, {
    form: {},
    headers: { ...SAME_ORIGIN, ...sessionCookie(session), "X-Forwarded-For": randomIp() },
    maxRedirects: 0,
  });
  expect(res.status(), "sign out").toBe(303);
}

/** Sets one secret through the portal API (201 created / 200 replaced). */
export async function putSecret(request: APIRequestContext, session: string, name: string, value: string) {
  const res = await request.put(`${PORTAL}/api/portal/secrets/${encodeURIComponent(name)}`, {
    data: { value },
    headers: { ...SAME_ORIGIN, ...sessionCookie(session) },
  });
  expect([200, 201], `PUT secret ${name}: ${await res.text()}`).toContain(res.status());
}

export async function deleteSecret(request: APIRequestContext, session: string, name: string) {
  const res = await request.delete(`${PORTAL}/api/portal/secrets/${encodeURIComponent(name)}`, { headers: { ...SAME_ORIGIN, ...sessionCookie(session) } });
  expect(res.status(), `DELETE secret ${name}`).toBe(204);
}

export type Grant = { secret: string; envVar: string } | { connection: string; envVar: string } | { mcp: string; envVar: string };
export type CreatedJob = { jobId: string; token: string; expiresAt: string };

/** Starts a job through the orchestrator API and expects 201. */
export async function startJob(
  request: APIRequestContext,
  serviceToken: string,
  body: { user: { platform: string; id: string }; grants?: Grant[]; delivery?: Record<string, string>; ttlSeconds?: number },
): Promise<CreatedJob> {
  const res = await request.post(`${API}/api/v1/jobs`, { headers: bearer(serviceToken), data: body });
  expect(res.status(), `start job: ${await res.text()}`).toBe(201);
  return (await res.json()) as CreatedJob;
}

export async function completeJob(request: APIRequestContext, serviceToken: string, jobId: string) {
  const res = await request.post(`${API}/api/v1/jobs/${jobId}/complete`, { headers: bearer(serviceToken) });
  expect(res.status(), `complete job: ${await res.text()}`).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

export async function rotateJobToken(request: APIRequestContext, job: { jobId: string; token: string }) {
  const res = await request.post(`${API}/api/v1/worker/jobs/${job.jobId}/token/rotate`, { headers: bearer(job.token) });
  expect(res.status(), `rotate: ${await res.text()}`).toBe(200);
  return (await res.json()) as { token: string; expiresAt: string; previousTokenValidUntil: string };
}

export function credentials(request: APIRequestContext, job: { jobId: string; token: string }) {
  return request.get(`${API}/api/v1/worker/jobs/${job.jobId}/credentials`, { headers: bearer(job.token) });
}

/** What expectJson needs of a response: Playwright's APIResponse, or a fetch Response through `answer()`. */
export type Answer = Pick<APIResponse, "status" | "headers" | "text">;

/** A fetch Response (for what Playwright's client cannot send: no Content-Type, a streamed body) as an Answer. */
export async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  const headers = Object.fromEntries(res.headers.entries());
  return { status: () => res.status, headers: () => headers, text: async () => text };
}

/** Status, whole JSON body and `Cache-Control: no-store` of an error (or any JSON) response. */
export async function expectJson(res: Answer, status: number, body: unknown, label = "") {
  const text = await res.text();
  expect(res.status(), `${label} ${text}`).toBe(status);
  expect(res.headers()["cache-control"], `${label} cache-control`).toBe("no-store");
  expect(res.headers()["content-type"] ?? "", `${label} content-type`).toMatch(/^application\/json/);
  expect(JSON.parse(text) as unknown, label).toEqual(body);
}

// --- The e2e database, for simulating time passing and for counting what a request created. ---

export async function sql<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: E2E_ENV.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const tokenHash = (token: string) => createHash("sha256").update(token, "utf8").digest();

/** The registry id of a token (the CLI revokes by id; the API never shows a job token's id). */
export async function tokenIdOf(token: string): Promise<string> {
  const [row] = await sql<{ id: string }>("SELECT id::text AS id FROM tokens WHERE hash = $1", [tokenHash(token)]);
  if (!row) throw new Error("token not in the registry");
  return row.id;
}

/** A service token whose lifetime has run out. */
export async function expireToken(token: string) {
  await sql("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE hash = $1", [tokenHash(token)]);
}

/** A job whose absolute expiry has passed: the job and every token of it (they expire together). */
export async function expireJob(jobId: string) {
  await sql("UPDATE tokens SET expires_at = now() - interval '1 second' WHERE job_id = $1", [jobId]);
  await sql("UPDATE jobs SET expires_at = now() - interval '1 second' WHERE id = $1", [jobId]);
}

/** The rotation grace window of a rotated-out token has passed. */
export async function endGraceWindow(token: string) {
  const rows = await sql("UPDATE tokens SET grace_until = now() - interval '1 second' WHERE hash = $1 AND grace_until IS NOT NULL RETURNING id", [tokenHash(token)]);
  if (rows.length !== 1) throw new Error("token was not in a grace window");
}

export type WorkspaceCounts = { jobs: number; grants: number; tokens: number; jobCreated: number };

/** What a job creation would leave behind in a workspace: jobs, grants, tokens and job.created events. */
export async function workspaceCounts(workspaceId: string): Promise<WorkspaceCounts> {
  const [row] = await sql<WorkspaceCounts>(
    `SELECT (SELECT count(*) FROM jobs WHERE workspace_id = $1)::int AS jobs,
            (SELECT count(*) FROM job_grants WHERE workspace_id = $1)::int AS grants,
            (SELECT count(*) FROM tokens WHERE workspace_id = $1)::int AS tokens,
            (SELECT count(*) FROM audit_events WHERE workspace_id = $1 AND action = 'job.created')::int AS "jobCreated"`,
    [workspaceId],
  );
  return row!;
}

/** A fresh value for a secret that names its owner (so a leak is easy to read in a failure). */
export const secretValue = (owner: string, name: string) => `${owner}:${name}:${createHash("sha256").update(`${owner}${name}${Math.random()}`).digest("base64url").slice(0, 24)}`;
