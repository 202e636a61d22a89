// Portal sessions and agent jobs for e2e specs, made the way real callers make them: a settings link opened
// on the server without an identity provider, a service token from the CLI, and the orchestrator API.
import type { APIRequestContext, Page, PlaywrightWorkerArgs } from "@playwright/test";
import { gatehouse } from "./cli";
import { E2E_PLAIN_BASE_URL } from "./env";
import { expect, randomIp, settingsLinkId } from "./fixtures";

export type Member = { workspaceId: string; telegramId: string };

export const SAME_ORIGIN = { Origin: E2E_PLAIN_BASE_URL } as const;

/** An HTTP client holding a portal session for this member (its own client address, like a browser). */
export async function portalClient(playwright: PlaywrightWorkerArgs["playwright"], member: Member) {
  const ctx = await playwright.request.newContext({ baseURL: E2E_PLAIN_BASE_URL, extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  const res = await ctx.post("/settings/open", { form: { s: settingsLinkId(member.workspaceId, member.telegramId) }, headers: SAME_ORIGIN, maxRedirects: 0 });
  expect(res.status()).toBe(303);
  return ctx;
}

/** A person opening a fresh settings link in the browser and pressing Continue. */
export async function openPortal(page: Page, member: Member) {
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings?s=${settingsLinkId(member.workspaceId, member.telegramId)}`);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/settings`);
}

/** Starts a job for the member through the orchestrator API, with a service token issued by the CLI. */
export async function startJob(request: APIRequestContext, member: Member, grants: { secret: string; envVar: string }[]) {
  const { token } = gatehouse<{ token: string }>("token", "issue", "--workspace", member.workspaceId, "--kind", "service");
  const res = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/jobs`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { user: { platform: "telegram", id: member.telegramId }, grants },
  });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as { jobId: string; token: string; expiresAt: string };
}

/** What the worker gets when it asks for the job's credentials. */
export async function fetchCredentials(request: APIRequestContext, job: { jobId: string; token: string }) {
  const res = await request.get(`${E2E_PLAIN_BASE_URL}/api/v1/worker/jobs/${job.jobId}/credentials`, {
    headers: { Authorization: `Bearer ${job.token}` },
  });
  const text = await res.text();
  return { status: res.status(), body: text ? (JSON.parse(text) as unknown) : null };
}
