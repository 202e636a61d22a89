// Continue through its route handler on an https deployment: a link sent as a web_app button opens only with
// Telegram's signed word for its owner, and that open sets the cookie Telegram Web's cross-site iframe keeps.
import { sign } from "@tma.js/init-data-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";

const BOT_TOKEN = "777:vitest-open-route-bot";
const ORIGIN = "https://gate.example.test";
let POST: (req: Request) => Promise<Response>;

beforeAll(async () => {
  vi.stubEnv("GATEHOUSE_PUBLIC_URL", ORIGIN);
  vi.stubEnv("TELEGRAM_BOT_TOKEN", BOT_TOKEN);
  ({ POST } = await import("./route"));
});
afterAll(async () => {
  const { closeLazyClients } = await import("@/lib/lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

const post = (form: Record<string, string>) =>
  POST(new Request(`${ORIGIN}/settings/open`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN }, body: new URLSearchParams(form) }));

async function telegramLink() {
  const { prepareLinkSession } = await import("@/lib/links/sessions");
  const ws = await makeWorkspace();
  const link = await prepareLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, opener: "telegram" });
  await link.activate({ type: "system", id: "vitest" });
  return { ws, link };
}

describe("POST /settings/open on https", () => {
  it("a web_app link without initData: the 401 page, and the link still opens from Telegram afterwards, with an embedded cookie", async () => {
    const { ws, link } = await telegramLink();
    const browser = await post({ s: link.id, tg: "" });
    expect(browser.status).toBe(401);
    expect(await browser.text()).toContain("only inside Telegram");
    expect(browser.headers.get("set-cookie")).toBeNull();

    const initData = sign({ user: { id: Number(ws.ownerTelegramId), first_name: "Owner" } }, BOT_TOKEN, new Date());
    const telegram = await post({ s: link.id, tg: initData });
    expect(telegram.status).toBe(303);
    expect(telegram.headers.get("location")).toBe("/settings");
    expect(telegram.headers.get("set-cookie")).toMatch(/^__Host-gh_session=[A-Za-z0-9_-]{43}; .*SameSite=None; Partitioned/);
  });

  it("a form with anything but the link id and initData is malformed", async () => {
    const { link } = await telegramLink();
    const forms: Record<string, string>[] = [{ s: link.id, pad: "x" }, { s: "x".repeat(200) }];
    for (const form of forms) expect((await post(form)).status).toBe(400);
  });
});
