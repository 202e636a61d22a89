// POST /api/v1/invites/redeem against the production build (SPEC §13): 201 with the role, one identical 410 for every
// unusable code, 409 for a member, exactly `limit` redemptions when they race across two instances, and the budget
// against guessing.
import { createWorkspace, gatehouse, randomTelegramId } from "../../helpers/cli";
import { E2E_BASE_URL, E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, randomIp, test } from "../../helpers/fixtures";

const tokenOf = (workspaceId: string) => gatehouse<{ token: string }>("token", "issue", "--workspace", workspaceId, "--kind", "service").token;

test("redeems for a new user with the invite's role; every unusable code gets the same 410; a member gets 409 and takes no use", async ({ request }) => {
  const ws = createWorkspace();
  const token = tokenOf(ws.workspaceId);
  const { code, inviteId } = gatehouse<{ code: string; inviteId: string }>("invite", "create", "--workspace", ws.workspaceId, "--role", "admin", "--max-uses", "2", "--label", "ops");
  const redeem = (body: unknown, ip = randomIp()) =>
    request.post(`${E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, { headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": ip }, data: body });

  const joiner = randomTelegramId();
  const ok = await redeem({ code, user: { platform: "telegram", id: joiner, name: "Nia" } });
  expect(ok.status()).toBe(201);
  const joined = (await ok.json()) as { userId: string; workspaceId: string; role: string };
  expect(joined).toEqual({ userId: expect.any(String), workspaceId: ws.workspaceId, role: "admin" });
  const again = await redeem({ code, user: { platform: "telegram", id: joiner } });
  expect(again.status()).toBe(409);
  expect((await again.json()).error.code).toBe("already_member");

  const other = createWorkspace();
  const theirs = gatehouse<{ code: string }>("invite", "create", "--workspace", other.workspaceId).code;
  const revoked = gatehouse<{ code: string; inviteId: string }>("invite", "create", "--workspace", ws.workspaceId);
  gatehouse("invite", "revoke", "--id", revoked.inviteId);
  const used = gatehouse<{ code: string }>("invite", "create", "--workspace", ws.workspaceId);
  expect((await redeem({ code: used.code, user: { platform: "telegram", id: randomTelegramId() } })).status()).toBe(201);
  const bodies = new Set<string>();
  for (const bad of [theirs, revoked.code, used.code, `gh_inv_${"A".repeat(43)}`, "gh_inv_short", "not a code at all"]) {
    const res = await redeem({ code: bad, user: { platform: "telegram", id: randomTelegramId() } });
    expect(res.status(), bad.slice(0, 12)).toBe(410);
    const text = await res.text();
    expect(text).not.toContain(bad);
    bodies.add(text);
  }
  expect([...bodies]).toEqual([JSON.stringify({ error: { code: "invite_invalid", message: JSON.parse([...bodies][0]!).error.message } })]);
  expect((await redeem({ code, user: { platform: "telegram", id: randomTelegramId() }, extra: 1 })).status()).toBe(400);
  const list = gatehouse<{ invites: { id: string; uses: number; redemptions: unknown[] }[] }>("invite", "list", "--workspace", ws.workspaceId);
  expect(list.invites.find((i) => i.id === inviteId)).toMatchObject({ uses: 1, redemptions: [expect.anything()] });
});

test("exactly limit redemptions succeed when 24 race across two instances", async ({ request }) => {
  const ws = createWorkspace();
  const token = tokenOf(ws.workspaceId);
  const { code, inviteId } = gatehouse<{ code: string; inviteId: string }>("invite", "create", "--workspace", ws.workspaceId, "--max-uses", "5");
  const results = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      request.post(`${i % 2 ? E2E_BASE_URL : E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, {
        headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": randomIp() },
        data: { code, user: { platform: "telegram", id: randomTelegramId() } },
      }),
    ),
  );
  const statuses = results.map((r) => r.status()).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(5);
  expect(statuses.filter((s) => s !== 201 && s !== 410 && s !== 429)).toEqual([]);
  const invite = gatehouse<{ invites: { id: string; uses: number; redemptions: unknown[] }[] }>("invite", "list", "--workspace", ws.workspaceId).invites.find((i) => i.id === inviteId)!;
  expect(invite.uses).toBe(5);
  expect(invite.redemptions).toHaveLength(5);
  expect(gatehouse<{ members: unknown[] }>("member", "list", "--workspace", ws.workspaceId).members).toHaveLength(6);
});

test("guessing is stopped: past the workspace's budget, 429 with Retry-After; another workspace through the same address still redeems", async ({ request }) => {
  // The budget is a wall-clock minute: never start the flood right before a boundary, or it would split.
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 8000) await new Promise((r) => setTimeout(r, left + 50));
  const ws = createWorkspace();
  const token = tokenOf(ws.workspaceId);
  const ip = randomIp();
  const statuses = await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      const res = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, {
        headers: { Authorization: `Bearer ${token}`, "X-Forwarded-For": ip },
        data: { code: `gh_inv_${String(i).padStart(43, "x")}`, user: { platform: "telegram", id: randomTelegramId() } },
      });
      if (res.status() === 429) expect(Number(res.headers()["retry-after"])).toBeGreaterThan(0);
      return res.status();
    }),
  );
  expect(statuses.filter((s) => s === 410)).toHaveLength(60);
  expect(statuses.filter((s) => s === 429)).toHaveLength(4);
  const other = createWorkspace();
  const { code } = gatehouse<{ code: string }>("invite", "create", "--workspace", other.workspaceId);
  const ok = await request.post(`${E2E_PLAIN_BASE_URL}/api/v1/invites/redeem`, {
    headers: { Authorization: `Bearer ${tokenOf(other.workspaceId)}`, "X-Forwarded-For": ip },
    data: { code, user: { platform: "telegram", id: randomTelegramId() } },
  });
  expect(ok.status()).toBe(201);
});
