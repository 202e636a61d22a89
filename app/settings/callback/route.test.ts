// The identity callback through its route handler: a pending-state cookie sent twice (one planted from a
// sibling domain with a longer path, which browsers send first) opens nothing and binds nothing.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const subject = `callback-sub-${Date.now()}`;
vi.mock("@/auth", () => ({
  auth: async () => ({ settingsSubject: subject, settingsAt: Date.now() }),
  signOut: async () => undefined,
}));

let GET: (req: Request) => Promise<Response>;

beforeAll(async () => {
  vi.stubEnv("SETTINGS_OAUTH_ISSUER", "http://127.0.0.1:9/");
  vi.stubEnv("SETTINGS_OAUTH_CLIENT_ID", "vitest");
  ({ GET } = await import("./route"));
});

afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

async function pendingFor(ws: { workspaceId: string; ownerUserId: string }) {
  const { createPendingIdentity } = await import("@/lib/links/pending");
  return createPendingIdentity({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, link: "vitest", purpose: "settings" });
}

const callback = (cookie: string) => GET(new Request("http://localhost:3000/settings/callback", { headers: { cookie } }));

describe("GET /settings/callback", () => {
  it("opens the portal for the one pending state it was given, and clears that cookie", async () => {
    const { makeWorkspace } = await import("@/test/factories");
    const ws = await makeWorkspace();
    const res = await callback(`gh_pending=${await pendingFor(ws)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/settings");
    const cookies = res.headers.getSetCookie();
    expect(cookies).toContain("gh_pending=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    expect(cookies.some((c) => /^gh_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/.test(c))).toBe(true);
  });

  it("refuses a pending cookie sent twice: no session, no binding, and neither pending state is spent", async () => {
    const { makeWorkspace } = await import("@/test/factories");
    const { db } = await import("@/lib/db/client");
    const { consumePendingIdentity } = await import("@/lib/links/pending");
    const attacker = await makeWorkspace();
    const victim = await makeWorkspace();
    const planted = await pendingFor(attacker);
    const own = await pendingFor(victim);
    for (const order of [`gh_pending=${planted}; gh_pending=${own}`, `gh_pending=${own}; gh_pending=${planted}`]) {
      const res = await callback(order);
      expect(res.status).toBe(410);
      expect(res.headers.getSetCookie().some((c) => c.startsWith("gh_session="))).toBe(false);
    }
    expect(await db.oAuthBinding.count({ where: { subject } })).toBeLessThanOrEqual(1);
    expect(await db.oAuthBinding.count({ where: { subject, userId: { in: [attacker.ownerUserId, victim.ownerUserId] } } })).toBe(0);
    expect(await consumePendingIdentity(planted)).not.toBeNull();
    expect(await consumePendingIdentity(own)).not.toBeNull();
  });
});
