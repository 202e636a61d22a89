// The gateway journey (SPEC §7): a worker asks for a link, the owner gets a native chat button, and the worker
// learns only whether that worked. Nothing returned, logged or audited here holds a URL or any part of a link id.
import "server-only";
import { connectionWorks } from "../connections/connect";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { deliverLink, telegramOpensInWebApp } from "../delivery";
import type { DeliveryTarget } from "../delivery/types";
import { AppError } from "../errors";
import { listPlatformIdentities } from "../identity/users";
import type { JobPrincipal } from "../jobs/principal";
import { CREDENTIALS_DENIED_MESSAGE } from "../jobs/credentials-serve";
import { getJobStatus } from "../jobs/lifecycle";
import type { LinkPurpose } from "../links/purpose";
import { prepareLinkSession, purposeDigest } from "../links/sessions";
import { log } from "../log";
import { getMembership } from "../members/membership";
import { noteRefusal, takeSlidingSlot } from "../ratelimit/sliding-window";
import { withLock } from "../redis/lock";
import { getWorkspaceName } from "../workspaces/workspace";
import { chatMessage, reasonMessage, type GatewayReason } from "./messages";

export type GatewayType = "settings_link" | "integration_connect" | "mcp_login";

export type GatewayResult =
  | { type: GatewayType; delivered: true; platform: "telegram" | "slack"; expiresAt: string }
  | { type: GatewayType; delivered: false; reason: GatewayReason; message: string; retryAfterSeconds?: number };

const RATE_WINDOW_SECONDS = 600;
// Deliveries of one user's purpose run one at a time, so the newest link in their chat is the one that opens. The
// lease covers the slowest delivery (four platform calls of 5 s, one short retry each); waiters give up well before.
const DELIVERY_LEASE_MS = 60_000;
const DELIVERY_WAIT_MS = 20_000;

function typeOf(purpose: LinkPurpose): GatewayType {
  return purpose.kind === "connect" ? "integration_connect" : purpose.kind === "mcp" ? "mcp_login" : "settings_link";
}

export async function requestLink({ job, purpose, reason, ip }: { job: JobPrincipal; purpose: LinkPurpose; reason?: string; ip: string }): Promise<GatewayResult> {
  const type = typeOf(purpose);
  const { workspaceId, ownerUserId, jobId } = job;
  const platform = job.delivery?.platform ?? null;

  const result = (why: GatewayReason, retryAfterSeconds?: number): GatewayResult => ({
    type,
    delivered: false,
    reason: why,
    message: reasonMessage(why, retryAfterSeconds),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
  const fail = async (why: GatewayReason, retryAfterSeconds?: number): Promise<GatewayResult> => {
    await appendAuditEvent({ workspaceId, actor: { type: "job", id: jobId }, action: "gateway.link.failed", target: `user:${ownerUserId}`, ip, data: { type, platform, reason: why } });
    return result(why, retryAfterSeconds);
  };

  // The owner left the workspace: the job is over, whatever its row says yet (the one 403 of §6), before anything
  // is counted or audited.
  if (!(await getMembership({ workspaceId, userId: ownerUserId }))) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);

  // Every attempt counts, whatever becomes of it, so a looping agent cannot flood its owner's chat. A sliding
  // window, so "10 per 10 minutes" holds at every instant, across a window's boundary too. Past the budget only
  // the first refusal of a stretch is audited: the log records the agent hitting the limit, not each retry.
  const slot = await takeSlidingSlot({ bucket: "gateway", subject: jobId, windowSeconds: RATE_WINDOW_SECONDS, limit: getConfig().rateLimits.gatewayPerJobPer10Minutes });
  if (!slot.allowed) {
    const first = await noteRefusal({ bucket: "gateway", subject: jobId, seconds: slot.retryAfterSeconds });
    return first ? fail("rate_limited", slot.retryAfterSeconds) : result("rate_limited", slot.retryAfterSeconds);
  }

  // The owner's account is connected and working: nothing to ask them (SPEC §7). A connection waiting for a
  // reconnect is not working, so that one gets its link.
  if (purpose.kind === "connect" && (await connectionWorks({ workspaceId, userId: ownerUserId, providerId: purpose.provider }))) return fail("already_connected");

  if (!job.delivery) return fail("no_delivery_context");
  const delivery = job.delivery;
  const config = getConfig();
  if (!(delivery.platform === "telegram" ? config.telegram.botToken : config.slack.botToken)) return fail("platform_unavailable");

  const [identities, workspaceName] = await Promise.all([listPlatformIdentities(ownerUserId), getWorkspaceName(workspaceId)]);
  const target: DeliveryTarget =
    delivery.platform === "telegram"
      ? { ...delivery, platform: "telegram", ownerTelegramId: identities.find((i) => i.platform === "telegram")?.externalId ?? null }
      : {
          ...delivery,
          platform: "slack",
          ownerSlackIds: identities
            .filter((i) => i.platform === "slack")
            .map((i) => {
              const [team = "", user = ""] = i.externalId.split(":");
              return { team, user };
            }),
        };
  // A web_app button opens inside Telegram, which signs who opened it: that link opens for nobody else.
  const opener = delivery.platform === "telegram" && telegramOpensInWebApp(config.publicUrl) ? "telegram" : undefined;

  const locked = await withLock(
    `gateway:${purposeDigest({ workspaceId, userId: ownerUserId, purpose })}`,
    async (): Promise<GatewayResult> => {
      // Read again under the lock: the wait may have outlasted the job, the membership or the role.
      const now = await currentStanding({ workspaceId, jobId, ownerUserId });
      if (!now.running) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
      if (purpose.kind === "admin" && now.role === "member") return fail("not_admin");

      const link = await prepareLinkSession({ workspaceId, userId: ownerUserId, purpose, ...(opener ? { opener } : {}) });
      let outcome;
      try {
        const ttlMinutes = Math.max(1, Math.round((link.expiresAt.getTime() - Date.now()) / 60_000));
        outcome = await deliverLink(target, { url: link.url, ...chatMessage(purpose, { workspaceName: workspaceName ?? "your workspace", reason, ttlMinutes }) });
      } catch (err) {
        await link.discard().catch(() => undefined);
        throw err;
      }
      if (!outcome.delivered) {
        await link.discard();
        log.info({ jobId, platform: outcome.platform, reason: outcome.reason }, "gateway: link not delivered");
        return fail(outcome.reason, outcome.retryAfterSeconds);
      }
      try {
        // The owner has the button; unaudited it must not open (and it ends their earlier link only now).
        await link.activate({ type: "job", id: jobId }, ip);
        await appendAuditEvent({ workspaceId, actor: { type: "job", id: jobId }, action: "gateway.link.delivered", target: `user:${ownerUserId}`, ip, data: { type, platform: outcome.platform, reason: null } });
      } catch (err) {
        await link.discard().catch(() => undefined);
        throw err;
      }
      return { type, delivered: true, platform: outcome.platform, expiresAt: link.expiresAt.toISOString() };
    },
    { ttlMs: DELIVERY_LEASE_MS, waitMs: DELIVERY_WAIT_MS },
  );
  return locked ? locked.value : fail("rate_limited", 10);
}

/** The job and its owner as they are now (not as the token lookup saw them). */
async function currentStanding({ workspaceId, jobId, ownerUserId }: { workspaceId: string; jobId: string; ownerUserId: string }) {
  const [status, membership] = await Promise.all([getJobStatus({ workspaceId, jobId }), getMembership({ workspaceId, userId: ownerUserId })]);
  return { running: status === "running" && membership !== null, role: membership?.role ?? null };
}
