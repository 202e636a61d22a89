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
import { lockConnectionsByRef } from "../connections/store";
import { checkDelivery, type Delivery } from "./delivery";
import { checkGrantShapes, connectionGrantRef, isSecretGrant, MAX_GRANTS, type GrantInput, type GrantProblem } from "./grants";

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

    const secretGrants = grants.filter(isSecretGrant);
    const names = [...new Set(secretGrants.map((g) => g.secret).filter((n) => SECRET_NAME_PATTERN.test(n)))];
    const secretIds = await lockSecretsByName(tx, { workspaceId, userId: owner.id, names });
    const missing = names.filter((n) => !secretIds.has(n));
    // Connection grants by (workspace, owner, provider id | server URL): only this owner's rows are ever looked at.
    const refs = grants.map(connectionGrantRef);
    const wanted = [...new Set(refs.flatMap((r) => (r ? [`${r.kind}:${r.ref}`] : [])))];
    const connectionIds = await lockConnectionsByRef(tx, {
      workspaceId,
      userId: owner.id,
      providerIds: refs.flatMap((r) => (r?.kind === "connection" ? [r.ref] : [])),
      serverUrls: refs.flatMap((r) => (r?.kind === "mcp" ? [r.ref] : [])),
    });
    const missingConnections = wanted.filter((k) => !connectionIds.has(k)).map((k) => k.slice(k.indexOf(":") + 1));
    if (problems.length || tooMany || missing.length || missingConnections.length) {
      const perGrant = new Map<number, GrantProblem>(problems.map((p) => [p.index, p]));
      const note = (index: number, g: GrantInput, reason: string) => {
        if (!perGrant.has(index)) perGrant.set(index, { index, ...g, reasons: [] });
        perGrant.get(index)!.reasons.push(reason);
      };
      grants.forEach((g, index) => {
        if (isSecretGrant(g)) {
          if (names.includes(g.secret) && !secretIds.has(g.secret)) note(index, g, "secret_not_found");
          return;
        }
        const ref = refs[index];
        if (ref && !connectionIds.has(`${ref.kind}:${ref.ref}`)) note(index, g, "connection_not_found");
      });
      throw new AppError("invalid_grants", tooMany ? `A job may have at most ${MAX_GRANTS} grants.` : undefined, {
        details: {
          grants: [...perGrant.values()].sort((a, b) => a.index - b.index),
          missing_secrets: missing,
          missing_connections: missingConnections,
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
    if (secretGrants.length) {
      await tx.jobGrant.createMany({
        data: secretGrants.map((g) => ({
          jobId: job.id,
          workspaceId,
          ownerUserId: owner.id,
          envVar: g.envVar,
          secretName: g.secret,
          secretId: secretIds.get(g.secret)!,
        })),
      });
    }
    const connectionGrants = grants.flatMap((g, index) => {
      const ref = refs[index];
      return ref ? [{ envVar: g.envVar, ...ref, connectionId: connectionIds.get(`${ref.kind}:${ref.ref}`)! }] : [];
    });
    if (connectionGrants.length) {
      // The composite foreign key (connection, workspace, owner) refuses a row naming anyone else's connection.
      await tx.jobConnectionGrant.createMany({
        data: connectionGrants.map((g) => ({ jobId: job.id, workspaceId, ownerUserId: owner.id, envVar: g.envVar, kind: g.kind, ref: g.ref, connectionId: g.connectionId })),
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
        data: {
          owner: owner.id,
          grants: grants.map((g, index) => {
            const ref = refs[index];
            if (!ref) return { secret: (g as { secret: string }).secret, envVar: g.envVar };
            return { [ref.kind]: ref.ref, envVar: g.envVar, connectionId: connectionIds.get(`${ref.kind}:${ref.ref}`)! };
          }),
          expiresAt,
          tokenId,
        },
      },
      tx,
    );
    return { jobId: job.id, token, expiresAt };
  });
  await rememberTokenLane(created.token, workspaceId, created.expiresAt);
  return created;
}
