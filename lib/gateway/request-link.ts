// The gateway journey (SPEC §7): a worker asks for a link, the owner gets a native chat button, and the worker
// learns only whether that worked. Nothing returned, logged or audited here holds a URL or any part of a link id.
import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { deliverLink } from "../delivery";
import type { DeliveryTarget } from "../delivery/types";
import { AppError } from "../errors";
import { listPlatformIdentities } from "../identity/users";
import type { JobPrincipal } from "../jobs/principal";
import { CREDENTIALS_DENIED_MESSAGE } from "../jobs/credentials-serve";
import type { LinkPurpose } from "../links/purpose";
import { prepareLinkSession, purposeDigest } from "../links/sessions";
import { log } from "../log";
import { getMembership } from "../members/membership";
import { takeSlidingSlot } from "../ratelimit/sliding-window";
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

  const fail = async (why: GatewayReason, retryAfterSeconds?: number): Promise<GatewayResult> => {
    await appendAuditEvent({ workspaceId, actor: { type: "job", id: jobId }, action: "gateway.link.failed", target: `user:${ownerUserId}`, ip, data: { type, platform, reason: why } });
    return { type, delivered: false, reason: why, message: reasonMessage(why, retryAfterSeconds), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  };

  // Every attempt counts, whatever becomes of it: a looping agent cannot flood its owner's chat or the audit log.
  // A sliding window, so "10 per 10 minutes" holds at every instant, across a window's boundary too.
  const slot = await takeSlidingSlot({ bucket: "gateway", subject: jobId, windowSeconds: RATE_WINDOW_SECONDS, limit: getConfig().rateLimits.gatewayPerJobPer10Minutes });
  if (!slot.allowed) return fail("rate_limited", slot.retryAfterSeconds);

  const membership = await getMembership({ workspaceId, userId: ownerUserId });
  // The owner left the workspace: the job is over, whatever its row says yet (the one 403 of §6).
  if (!membership) throw new AppError("forbidden", CREDENTIALS_DENIED_MESSAGE);
  if (!job.delivery) return fail("no_delivery_context");
  if (purpose.kind === "admin" && membership.role === "member") return fail("not_admin");
  const config = getConfig();
  if (!(job.delivery.platform === "telegram" ? config.telegram.botToken : config.slack.botToken)) return fail("platform_unavailable");

  const [identities, workspaceName] = await Promise.all([listPlatformIdentities(ownerUserId), getWorkspaceName(workspaceId)]);
  const target: DeliveryTarget =
    job.delivery.platform === "telegram"
      ? { ...job.delivery, platform: "telegram", ownerTelegramId: identities.find((i) => i.platform === "telegram")?.externalId ?? null }
      : {
          ...job.delivery,
          platform: "slack",
          ownerSlackIds: identities
            .filter((i) => i.platform === "slack")
            .map((i) => {
              const [team = "", user = ""] = i.externalId.split(":");
              return { team, user };
            }),
        };

  const locked = await withLock(
    `gateway:${purposeDigest({ workspaceId, userId: ownerUserId, purpose })}`,
    async (): Promise<GatewayResult> => {
      const link = await prepareLinkSession({ workspaceId, userId: ownerUserId, purpose });
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
