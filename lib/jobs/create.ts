// Agent jobs (SPEC §6): created by the orchestrator for one member, with immutable grants and one token.
// The owner is recorded here, at creation, and nothing later resolves it from anything else.
import "server-only";
import { appendAuditEvent } from "../audit";
import { getConfig } from "../config";
import { db } from "../db/client";
import { AppError } from "../errors";
import { findUserByIdentity } from "../identity/users";
import type { PlatformIdentityRef } from "../identity/platform";
import { getMembership } from "../members/membership";
import { SECRET_NAME_PATTERN } from "../secrets/names";
import { lockSecretsByName } from "../secrets/store";
import { rememberTokenLane } from "../tokens/lanes";
import { insertJobToken, lockLiveServiceToken } from "../tokens/registry";
import { checkDelivery, type Delivery } from "./delivery";
import { checkGrantShapes, MAX_GRANTS, type GrantInput } from "./grants";

export type { Delivery };

export async function createJob({
  workspaceId,
  serviceTokenId,
  user,
  delivery,
  grants = [],
  ttlSeconds,
  ip,
}: {
  workspaceId: string;
  serviceTokenId: string;
  user: PlatformIdentityRef;
  delivery?: Delivery;
  grants?: GrantInput[];
  ttlSeconds?: number;
  ip?: string | null;
}): Promise<{ jobId: string; token: string; expiresAt: Date }> {
  const ttl = ttlSeconds ?? getConfig().ttl.jobTokenSeconds;
  const { problems, tooMany } = checkGrantShapes(grants);
  const created = await db.$transaction(async (tx) => {
    // A service token revoked while this request was under way must not still create a job.
    await lockLiveServiceToken(tx, serviceTokenId);
    const owner = await findUserByIdentity(tx, user);
    const membership = owner
      ? await getMembership({ workspaceId, userId: owner.id }, tx)
      : null;
    if (!owner || !membership) throw new AppError("not_a_member");
    if (delivery) {
      const identities = await tx.platformIdentity.findMany({ where: { userId: owner.id }, select: { platform: true, externalId: true } });
      checkDelivery(delivery, identities);
    }

    const names = [...new Set(grants.map((g) => g.secret).filter((n) => SECRET_NAME_PATTERN.test(n)))];
    const secretIds = await lockSecretsByName(tx, { workspaceId, userId: owner.id, names });
    const missing = names.filter((n) => !secretIds.has(n));
    if (problems.length || tooMany || missing.length) {
      const perGrant = new Map(problems.map((p) => [p.index, p]));
      grants.forEach((g, index) => {
        if (!names.includes(g.secret) || secretIds.has(g.secret)) return;
        if (!perGrant.has(index)) perGrant.set(index, { index, ...g, reasons: [] });
        perGrant.get(index)!.reasons.push("secret_not_found");
      });
      throw new AppError("invalid_grants", tooMany ? `A job may have at most ${MAX_GRANTS} grants.` : undefined, {
        details: {
          grants: [...perGrant.values()].sort((a, b) => a.index - b.index),
          missing_secrets: missing,
          ...(tooMany ? { max_grants: MAX_GRANTS } : {}),
        },
      });
    }

    const expiresAt = new Date(Date.now() + ttl * 1000);
    const job = await tx.job.create({
      data: {
        workspaceId,
        ownerUserId: owner.id,
        expiresAt,
        deliveryPlatform: delivery?.platform ?? null,
        deliveryChatId: delivery?.chatId ?? null,
        deliveryThreadId: delivery?.threadId ?? null,
        createdByTokenId: serviceTokenId,
      },
      select: { id: true },
    });
    if (grants.length) {
      await tx.jobGrant.createMany({
        data: grants.map((g) => ({
          jobId: job.id,
          workspaceId,
          ownerUserId: owner.id,
          envVar: g.envVar,
          secretName: g.secret,
          secretId: secretIds.get(g.secret)!,
        })),
      });
    }
    const { tokenId, token } = await insertJobToken(tx, { workspaceId, jobId: job.id, expiresAt });
    await appendAuditEvent(
      {
        workspaceId,
        actor: { type: "service", id: serviceTokenId },
        action: "job.created",
        target: `job:${job.id}`,
        ip,
        data: { owner: owner.id, grants: grants.map((g) => ({ secret: g.secret, envVar: g.envVar })), expiresAt, tokenId },
      },
      tx,
    );
    return { jobId: job.id, token, expiresAt };
  });
  await rememberTokenLane(created.token, workspaceId, created.expiresAt);
  return created;
}
