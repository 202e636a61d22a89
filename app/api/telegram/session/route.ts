// POST /api/telegram/session {initData, workspaceId?} – Mini App sign-in: a portal session cookie, or the list
// of workspaces to pick from (SPEC §5).
import { withBrowserCaller } from "@/lib/auth/browser";
import { portalCookie } from "@/lib/auth/cookies";
import { getConfig } from "@/lib/config";
import { startTelegramSession, telegramSessionBody } from "@/lib/flows/telegram-sign-in";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 8 * 1024;

export const POST = withBrowserCaller({ bucket: "telegram", limit: () => getConfig().rateLimits.telegramPerMinute }, async (req, caller) => {
  const { initData, workspaceId } = await readJson(req, telegramSessionBody, {
    maxBytes: MAX_BODY_BYTES,
    message: 'Send {"initData": string, "workspaceId"?: uuid} and nothing else.',
  });
  const result = await startTelegramSession({ initData, workspaceId, ...caller });
  if (result.next === "choose") return json({ choose: result.workspaces });
  return json({ redirect: "/settings" }, { headers: { "Set-Cookie": portalCookie.serialize(result.sessionId, result.maxAgeSeconds, { embedded: true }) } });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
