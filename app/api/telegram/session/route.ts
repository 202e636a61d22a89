// POST /api/telegram/session {initData, workspaceId?} – Mini App sign-in: a portal session cookie, or the list
// of workspaces to pick from (SPEC §5).
import { z } from "zod";
import { getConfig } from "@/lib/config";
import { readBodyLimited } from "@/lib/http/body";
import { AppError } from "@/lib/http/errors";
import { assertSameOrigin, clientIp, userAgent } from "@/lib/http/request";
import { json, toResponse } from "@/lib/http/respond";
import { portalCookieName, serializePortalCookie } from "@/lib/portal/cookie";
import { enforceRateLimit } from "@/lib/ratelimit/ratelimit";
import { startTelegramSession } from "@/lib/telegram/session";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 8 * 1024;

const body = z.strictObject({ initData: z.string(), workspaceId: z.guid().optional() });

export async function POST(req: Request): Promise<Response> {
  try {
    const ip = clientIp(req.headers);
    // Cross-site requests must not fill a victim's bucket: refuse them before counting.
    assertSameOrigin(req.headers);
    await enforceRateLimit({ bucket: "telegram", subject: ip, limit: getConfig().rateLimits.telegramPerMinute });
    const { initData, workspaceId } = await readJson(req);
    const result = await startTelegramSession({
      initData,
      workspaceId,
      ip,
      userAgent: userAgent(req.headers),
      currentSession: readCookie(req.headers, portalCookieName()),
    });
    if (result.next === "choose") return json({ choose: result.workspaces });
    return json({ redirect: "/settings" }, { headers: { "Set-Cookie": serializePortalCookie(result.sessionId, result.maxAgeSeconds, { embedded: true }) } });
  } catch (err) {
    return toResponse(err);
  }
}

async function readJson(req: Request) {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new AppError("unsupported_media_type", "Send the request body as application/json.");
  const text = await readBodyLimited(req, MAX_BODY_BYTES);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("invalid_json");
  }
  const parsed = body.safeParse(value);
  if (!parsed.success) throw new AppError("validation_failed", 'Send {"initData": string, "workspaceId"?: uuid} and nothing else.');
  return parsed.data;
}

function readCookie(headers: Headers, name: string): string | undefined {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
