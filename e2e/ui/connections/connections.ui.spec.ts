// Connections as people use them (SPEC §12), against real authorization servers (oidc-provider) and a real MCP SDK
// server: connect an account and see it named, grant it to a job and watch the job get a working token, reconnect,
// disconnect (the confirmation names the job that loses access; the provider records the revocation and the old token
// is dead), then add an MCP server, sign in to it, and call it with the token a job receives.
import type { APIRequestContext, Page, TestInfo } from "@playwright/test";
import { callWhoami } from "../../../test/fakes/mcp-server";
import { createWorkspaceAsync, credentials, issueServiceToken, settingsLinkIdAsync, startJob, type CreatedJob } from "../../helpers/api-seed";
import { addTestProvider, connectAs, mcpAs, passProvider } from "../../helpers/connections";
import { E2E_MCP_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { snapWidths } from "../../helpers/screenshots";

const CONNECTIONS = `${E2E_PLAIN_BASE_URL}/settings/connections`;

async function openPortal(page: Page, workspaceId: string, telegramId: string) {
  const linkId = await settingsLinkIdAsync(workspaceId, telegramId);
  await page.goto(`${E2E_PLAIN_BASE_URL}/settings?s=${linkId}`);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${E2E_PLAIN_BASE_URL}/settings`);
}

async function tokenOf(request: APIRequestContext, job: CreatedJob, envVar: string): Promise<string> {
  const res = await credentials(request, job);
  expect(res.status(), await res.text()).toBe(200);
  const values = (await res.json()) as { env_var: string; value: string }[];
  const value = values.find((v) => v.env_var === envVar)?.value;
  expect(value, `${envVar} served`).toBeTruthy();
  return value!;
}

test.describe("connections", () => {
  test("connect, grant, reconnect and disconnect an account; the provider revokes", async ({ page, request }, testInfo: TestInfo) => {
    const ws = await createWorkspaceAsync("Connie Owner");
    await addTestProvider(ws.workspaceId, "corp");
    await openPortal(page, ws.workspaceId, ws.ownerTelegramId);

    await page.goto(CONNECTIONS);
    const row = page.locator('[data-testid="provider-row"][data-provider="corp"]');
    await expect(row).toContainText("Not connected");
    await snapWidths(page, testInfo, "connections-empty");

    await passProvider(page, "alice", CONNECTIONS, () => row.getByRole("button", { name: /^Connect/ }).click());
    await expect(page.getByText("corp connected", { exact: true })).toBeVisible();
    await expect(row.getByTestId("connection-state")).toContainText("Connected as alice@example.test");
    await snapWidths(page, testInfo, "connections-connected");

    // An agent job granted the connection receives a token that works at the provider.
    const service = await issueServiceToken(ws.workspaceId);
    const job = await startJob(request, service.token, { user: { platform: "telegram", id: ws.ownerTelegramId }, grants: [{ connection: "corp", envVar: "CORP_TOKEN" }] });
    const first = await tokenOf(request, job, "CORP_TOKEN");
    expect((await connectAs.introspect(first)).active).toBe(true);

    // Reconnect: the same connection, new tokens; the job now gets the new one.
    await page.goto(CONNECTIONS);
    await passProvider(page, "alice", CONNECTIONS, () => row.getByRole("button", { name: /^Reconnect/ }).click());
    await expect(page.getByText("corp reconnected", { exact: true })).toBeVisible();
    const second = await tokenOf(request, job, "CORP_TOKEN");
    expect(second).not.toBe(first);

    // Disconnect: the confirmation names the running job that loses access.
    const revocationsBefore = (await connectAs.stats()).revocations.length;
    await row.getByText("Disconnect corp", { exact: true }).click();
    const confirm = row.getByTestId("disconnect-confirm");
    await expect(confirm).toBeVisible();
    await expect(confirm.getByTestId("jobs-losing-access")).toContainText(job.jobId.slice(0, 8));
    await expect(confirm.getByTestId("jobs-losing-access")).toContainText("CORP_TOKEN");
    await snapWidths(page, testInfo, "connections-disconnect-confirm");
    await confirm.getByRole("button", { name: "Yes, disconnect corp" }).click();
    await expect(page.getByText("The provider confirmed the tokens are revoked.")).toBeVisible();
    await expect(row).toContainText("Not connected");
    expect((await connectAs.stats()).revocations.length - revocationsBefore).toBe(2);
    expect((await connectAs.introspect(second)).active).toBe(false);
    // The job lost access: the one 403 of §6.
    expect((await credentials(request, job)).status()).toBe(403);
  });

  test("add an MCP server, sign in to it, and a job's token calls it", async ({ page, request }, testInfo: TestInfo) => {
    const ws = await createWorkspaceAsync("Mica Owner");
    await openPortal(page, ws.workspaceId, ws.ownerTelegramId);
    await page.goto(CONNECTIONS);
    await page.getByLabel("Add MCP server").fill(E2E_MCP_URL);
    const registrationsBefore = (await mcpAs.stats()).registrations;
    await passProvider(page, "alice", CONNECTIONS, () => page.getByRole("button", { name: "Connect server" }).click());
    await expect(page.getByText("MCP server connected.")).toBeVisible();
    await expect(page.getByTestId("mcp-row")).toContainText(E2E_MCP_URL);
    await snapWidths(page, testInfo, "connections-mcp");
    // Gatehouse registered itself at most once at this issuer (an earlier spec may have already).
    expect((await mcpAs.stats()).registrations - registrationsBefore).toBeLessThanOrEqual(1);

    const service = await issueServiceToken(ws.workspaceId);
    const job = await startJob(request, service.token, { user: { platform: "telegram", id: ws.ownerTelegramId }, grants: [{ mcp: E2E_MCP_URL, envVar: "MCP_TOKEN" }] });
    const token = await tokenOf(request, job, "MCP_TOKEN");
    expect(await callWhoami(E2E_MCP_URL, token)).toBe("alice-sub");
  });
});
