// Add MCP server through its route handler: each start costs outbound requests, so a person gets a bounded number
// per 10 minutes; past that the page says so, and nothing is requested.
import { afterAll, describe, expect, it } from "vitest";
import { portalCookie } from "@/lib/auth/cookies";
import { getConfig } from "@/lib/config";
import { createPortalSession } from "@/lib/portal/sessions";
import { makeWorkspace } from "@/test/factories";
import { POST } from "./route";

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
});

describe("POST /settings/connections/mcp", () => {
  it("20 starts per person per 10 minutes, then error=rate_limited", async () => {
    const ws = await makeWorkspace();
    const session = await createPortalSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, method: "link" });
    const origin = getConfig().publicUrl;
    const cookie = portalCookie.serialize(session.id, 600).split(";")[0]!;
    const post = () =>
      POST(new Request(`${origin}/settings/connections/mcp`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin, cookie },
        // Refused before any request leaves: not https.
        body: new URLSearchParams({ server: "http://mcp.example.test/mcp" }),
      }));
    const locations: string[] = [];
    for (let i = 0; i < 21; i++) locations.push((await post()).headers.get("location") ?? "");
    expect(locations.slice(0, 20)).toEqual(Array(20).fill("/settings/connections?error=invalid_server"));
    expect(locations[20]).toBe("/settings/connections?error=rate_limited");
  });
});
