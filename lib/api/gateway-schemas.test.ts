// The gateway's request bodies: the agent's `reason` reaches the owner's chat, where a client turns anything
// link-like into a link, so only plain words pass; an MCP server is an https URL whose canonical form fits.
import { describe, expect, it } from "vitest";
import { mcpLoginRequest, settingsLinkRequest } from "./v1-schemas";

const reasonOk = (reason: string) => settingsLinkRequest.safeParse({ reason }).success;

describe("reason", () => {
  it.each(["to add your OpenAI key", "I need the GitHub token, e.g. for the release", "Step 2. Then the key", "for job 12345678", "v1.2 needs a new key", ""])(
    "accepts %j",
    (r) => expect(reasonOk(r)).toBe(true),
  );
  it.each([
    "see https://evil.example",
    "open evil.example now",
    "visit www.example",
    "mail me@example.com",
    "аррӏе.com is safe",
    "пример.рф",
    "example．com",
    "example。com",
    "evil_site.com",
    "tap /delete_all",
    "reply (/delete_all)",
    "ok,/reset",
    "see 203.0.113.5/login",
    "evil.कॉम",
    "evil.ভারত",
    "/start now",
    "line one\nline two",
    "zero\u200bwidth",
    "x".repeat(201),
  ])("refuses %j", (r) => expect(reasonOk(r)).toBe(false));
});

describe("mcp server", () => {
  it("accepts an https URL and refuses what is not one, or grows past the cap once canonical", () => {
    expect(mcpLoginRequest.safeParse({ server: "https://mcp.example.test/mcp" }).success).toBe(true);
    for (const server of ["http://mcp.example.test/", "https://u:p@mcp.example.test/", "https://mcp.example.test/#x", "mcp.example.test", `https://a.test/${"é".repeat(2000)}`]) {
      expect(mcpLoginRequest.safeParse({ server }).success, server.slice(0, 40)).toBe(false);
    }
  });
});
