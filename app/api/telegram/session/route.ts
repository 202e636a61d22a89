// POST /api/telegram/session {initData, workspaceId?} – Mini App sign-in: a portal session cookie, or the list
// of workspaces to pick from (SPEC §5).
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { readJson } from "@/lib/http/json-body";
import { assertSameOrigin, clientIp, userAgent } from "@/lib/http/request";
import { json, toResponse } from "@/lib/http/respond";
import { portalCookieFrom, serializePortalCookie } from "@/lib/auth/cookies";
import { enforceRateLimit } from "@/lib/ratelimit/fixed-window";
import { startTelegramSession } from "@/lib/flows/telegram-sign-in";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 8 * 1024;

const body = z.strictObject({ initData: z.string(), workspaceId: z.guid().optional() });

export async function POST(req: Request): Promise<Response> {
  try {
    const ip = clientIp(req.headers);
    // Cross-site requests must not fill a victim's bucket: refuse them before counting.
    assertSameOrigin(req.headers);
    await enforceRateLimit({ bucket: "telegram", subject: ip, limit: getConfig().rateLimits.telegramPerMinute });
    const { initData, workspaceId } = await readJson(req, body, {
      maxBytes: MAX_BODY_BYTES,
      message: 'Send {"initData": string, "workspaceId"?: uuid} and nothing else.',
    });
    const result = await startTelegramSession({
      initData,
      workspaceId,
      ip,
      userAgent: userAgent(req.headers),
      currentSession: portalCookieFrom(req.headers),
    });
    if (result.next === "choose") return json({ choose: result.workspaces });
    return json({ redirect: "/settings" }, { headers: { "Set-Cookie": serializePortalCookie(result.sessionId, result.maxAgeSeconds, { embedded: true }) } });
  } catch (err) {
    return toResponse(err);
  }
}
