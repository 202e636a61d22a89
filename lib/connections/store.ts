// Users' connections (SPEC §12): the rows, their sealed token sets, and every change of them, audited.
// The token set (access token, refresh token, type) is one sealed box bound to (workspace, user, connection id);
// no other column holds anything secret, and no query selects the box unless it needs the tokens.
import "server-only";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit";
import { getConfig, type MasterKey } from "../config";
import { DecryptError, open, seal, type ConnectionTokensOwner } from "../crypto/secret-box";
import { db, type Tx } from "../db/client";
import type { Prisma } from "@/generated/prisma/client";

export type ConnectionKind = "provider" | "mcp";
export type ConnectionStatus = "active" | "needs_reconnect";

export type TokenSet = {
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
};

const tokenSetSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).nullable(),
  tokenType: z.string().min(1).max(64),
});

/** What pages and lists may show: never a token. */
export type ConnectionSummary = {
  id: string;
  kind: ConnectionKind;
  providerId: string | null;
  serverUrl: string | null;
  issuer: string | null;
  status: ConnectionStatus;
  statusReason: string | null;
  upstreamAccount: string | null;
  scopes: string[];
  accessExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
};

/** A connection with its tokens opened, for a refresh or a revocation. */
export type ConnectionWithTokens = ConnectionSummary & {
  workspaceId: string;
  userId: string;
  resource: string | null;
  version: number;
  obtainedAt: Date;
  tokens: TokenSet;
};

export const SUMMARY_SELECT = {
  id: true,
  kind: true,
  providerId: true,
  serverUrl: true,
  issuer: true,
  status: true,
  statusReason: true,
  upstreamAccount: true,
  scopes: true,
  accessExpiresAt: true,
  createdAt: true,
  updatedAt: true,
  lastUsedAt: true,
} as const satisfies Prisma.ConnectionSelect;

type SummaryRow = Prisma.ConnectionGetPayload<{ select: typeof SUMMARY_SELECT }>;

export function toSummary(row: SummaryRow): ConnectionSummary {
  return {
    ...row,
    kind: row.kind as ConnectionKind,
    status: row.status as ConnectionStatus,
    scopes: row.scopes ? row.scopes.split(" ") : [],
  };
}

export function tokensOwner(workspaceId: string, userId: string, connectionId: string): ConnectionTokensOwner {
  return { kind: "connection-tokens", workspaceId, userId, connectionId };
}

// Printable ASCII (RFC 6749 §A.12 / §A.17), bounded so a sealed set stays small. Checked before storing anything a
// provider sent (connect, refresh, MCP), so an unusable answer is refused rather than half-stored.
const MAX_TOKEN_LENGTH = 16 * 1024;
export function isStorableToken(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= MAX_TOKEN_LENGTH && /^[\x20-\x7e]+$/.test(value);
}

export function sealTokens(owner: ConnectionTokensOwner, tokens: TokenSet): { box: Uint8Array<ArrayBuffer>; keyId: string } {
  return seal(getConfig().masterKeys, owner, JSON.stringify(tokenSetSchema.parse(tokens)));
}

/** DecryptError propagates; a box that opens but is not a token set is as bad as one that does not open. */
export function openTokens(owner: ConnectionTokensOwner, box: Uint8Array, keys: readonly MasterKey[] = getConfig().masterKeys): TokenSet {
  const plaintext = open(keys, owner, box);
  let json: unknown;
  try {
    json = JSON.parse(plaintext);
  } catch {
    throw new DecryptError("malformed");
  }
  const parsed = tokenSetSchema.safeParse(json);
  if (!parsed.success) throw new DecryptError("malformed");
  return parsed.data;
}

export type ConnectionRef = { kind: "provider"; providerId: string } | { kind: "mcp"; serverUrl: string };

const refWhere = (ref: ConnectionRef) => (ref.kind === "provider" ? { kind: "provider", providerId: ref.providerId } : { kind: "mcp", serverUrl: ref.serverUrl });
export const refName = (ref: ConnectionRef) => (ref.kind === "provider" ? `provider:${ref.providerId}` : `mcp:${ref.serverUrl}`);

export async function listConnections({ workspaceId, userId }: { workspaceId: string; userId: string }): Promise<ConnectionSummary[]> {
  const rows = await db.connection.findMany({ where: { workspaceId, userId }, select: SUMMARY_SELECT, orderBy: [{ kind: "asc" }, { createdAt: "asc" }] });
  return rows.map(toSummary);
}

export async function findConnection({ workspaceId, userId, ref }: { workspaceId: string; userId: string; ref: ConnectionRef }): Promise<ConnectionSummary | null> {
  const row = await db.connection.findFirst({ where: { workspaceId, userId, ...refWhere(ref) }, select: SUMMARY_SELECT });
  return row ? toSummary(row) : null;
}

const WITH_TOKENS_SELECT = { ...SUMMARY_SELECT, workspaceId: true, userId: true, resource: true, version: true, obtainedAt: true, tokens: true } as const satisfies Prisma.ConnectionSelect;
type WithTokensRow = Prisma.ConnectionGetPayload<{ select: typeof WITH_TOKENS_SELECT }>;

function withTokens(row: WithTokensRow): ConnectionWithTokens {
  const { tokens, workspaceId, userId, resource, version, obtainedAt, ...summary } = row;
  return {
    ...toSummary(summary),
    workspaceId,
    userId,
    resource,
    version,
    obtainedAt,
    tokens: openTokens(tokensOwner(workspaceId, userId, row.id), tokens),
  };
}

/** One user's connection with its tokens. DecryptError propagates. */
export async function readConnectionTokens(
  { workspaceId, userId, ref }: { workspaceId: string; userId: string; ref: ConnectionRef },
  client: Tx = db,
): Promise<ConnectionWithTokens | null> {
  const row = await client.connection.findFirst({ where: { workspaceId, userId, ...refWhere(ref) }, select: WITH_TOKENS_SELECT });
  return row ? withTokens(row) : null;
}

/** By id, within the owner's scope (the id alone never finds a row). DecryptError propagates. */
export async function readConnectionById(
  { workspaceId, userId, id }: { workspaceId: string; userId: string; id: string },
  client: Tx = db,
): Promise<ConnectionWithTokens | null> {
  const row = await client.connection.findFirst({ where: { id, workspaceId, userId }, select: WITH_TOKENS_SELECT });
  return row ? withTokens(row) : null;
}

/**
 * The owner's connections that job grants name (`connection` by provider id, `mcp` by canonical server URL), locked
 * FOR SHARE until the job's grants are inserted, so a disconnect cannot slip between the check and the insert.
 * Keys are `connection:<provider id>` and `mcp:<server URL>`; a needs_reconnect connection is found (and granted).
 */
export async function lockConnectionsByRef(
  tx: Tx,
  { workspaceId, userId, providerIds, serverUrls }: { workspaceId: string; userId: string; providerIds: string[]; serverUrls: string[] },
): Promise<Map<string, string>> {
  if (providerIds.length === 0 && serverUrls.length === 0) return new Map();
  const rows = await tx.$queryRaw<{ id: string; kind: string; provider_id: string | null; server_url: string | null }[]>`
    SELECT id::text AS id, kind, provider_id, server_url FROM connections
    WHERE workspace_id = ${workspaceId}::uuid AND user_id = ${userId}::uuid
      AND ((kind = 'provider' AND provider_id = ANY(${providerIds}::text[])) OR (kind = 'mcp' AND server_url = ANY(${serverUrls}::text[])))
    ORDER BY id
    FOR SHARE`;
  return new Map(rows.map((r) => [r.kind === "provider" ? `connection:${r.provider_id}` : `mcp:${r.server_url}`, r.id]));
}

export type SaveConnectionInput = {
  workspaceId: string;
  userId: string;
  ref: ConnectionRef;
  issuer: string | null;
  resource: string | null;
  upstreamAccount: string | null;
  upstreamSubject: string | null;
  scopes: string[];
  tokens: TokenSet;
  expiresAt: Date | null;
  actor: AuditActor;
  ip?: string | null;
};

/**
 * Connect or reconnect: a new row, or the same connection's tokens replaced (version + 1, active again).
 * Serialised per (workspace, user, target) by the row lock of the upsert, and audited in the same transaction.
 */
export async function saveConnection(input: SaveConnectionInput): Promise<{ id: string; reconnected: boolean }> {
  const { workspaceId, userId, ref, actor, ip } = input;
  const now = new Date();
  return db.$transaction(async (tx) => {
    // Two first connects racing here both miss the row: the unique index keeps one and the other retries as a reconnect.
    const existing = await tx.connection.findFirst({ where: { workspaceId, userId, ...refWhere(ref) }, select: { id: true, upstreamSubject: true } });
    let id: string;
    let reconnected = false;
    const common = {
      issuer: input.issuer,
      resource: input.resource,
      upstreamAccount: input.upstreamAccount,
      upstreamSubject: input.upstreamSubject,
      scopes: input.scopes.join(" "),
      accessExpiresAt: input.expiresAt,
      obtainedAt: now,
      status: "active",
      statusReason: null,
      updatedAt: now,
    };
    if (existing) {
      id = existing.id;
      reconnected = true;
      const sealed = sealTokens(tokensOwner(workspaceId, userId, id), input.tokens);
      await tx.connection.update({ where: { id }, data: { ...common, tokens: sealed.box, tokensKeyId: sealed.keyId, version: { increment: 1 } }, select: { id: true } });
    } else {
      id = (await tx.$queryRaw<{ id: string }[]>`SELECT gen_random_uuid()::text AS id`)[0]!.id;
      const sealed = sealTokens(tokensOwner(workspaceId, userId, id), input.tokens);
      await tx.connection.create({
        data: {
          id,
          workspaceId,
          userId,
          kind: ref.kind,
          providerId: ref.kind === "provider" ? ref.providerId : null,
          serverUrl: ref.kind === "mcp" ? ref.serverUrl : null,
          ...common,
          tokens: sealed.box,
          tokensKeyId: sealed.keyId,
        },
        select: { id: true },
      });
    }
    await appendAuditEvent(
      {
        workspaceId,
        actor,
        action: reconnected ? "connection.reconnected" : "connection.connected",
        target: refName(ref),
        ip,
        data: {
          connectionId: id,
          ...(ref.kind === "provider" ? { provider: ref.providerId } : { server: ref.serverUrl }),
          account: input.upstreamAccount,
          scopes: input.scopes,
          ...(reconnected && existing?.upstreamSubject && input.upstreamSubject && existing.upstreamSubject !== input.upstreamSubject ? { accountChanged: true } : {}),
        },
      },
      tx,
    );
    return { id, reconnected };
  }).catch((err: unknown) => {
    // Two first connects raced past findFirst: the unique index kept one; the other is a reconnect now.
    if ((err as { code?: string }).code === "P2002") return saveConnection(input);
    throw err;
  });
}

/**
 * Stores a refresh's result over exactly the version it refreshed (compare-and-set) and audits it in the same
 * transaction: null when the row changed meanwhile (reconnected, disconnected, or refreshed by a lease that was
 * lost), and nothing is written then. `rotated`: the provider sent a new refresh token (stored in the same box).
 */
export async function storeRefreshedTokens({
  connection,
  tokens,
  expiresAt,
  scopes,
  rotated,
  actor,
}: {
  connection: Pick<ConnectionWithTokens, "id" | "workspaceId" | "userId" | "version" | "kind" | "providerId" | "serverUrl">;
  tokens: TokenSet;
  expiresAt: Date | null;
  scopes?: string[];
  rotated: boolean;
  actor: AuditActor;
}): Promise<number | null> {
  const sealed = sealTokens(tokensOwner(connection.workspaceId, connection.userId, connection.id), tokens);
  const now = new Date();
  return db.$transaction(async (tx) => {
    const { count } = await tx.connection.updateMany({
      where: { id: connection.id, workspaceId: connection.workspaceId, userId: connection.userId, version: connection.version, status: "active" },
      data: {
        tokens: sealed.box,
        tokensKeyId: sealed.keyId,
        accessExpiresAt: expiresAt,
        obtainedAt: now,
        updatedAt: now,
        ...(scopes ? { scopes: scopes.join(" ") } : {}),
        version: { increment: 1 },
      },
    });
    if (count !== 1) return null;
    await appendAuditEvent(
      {
        workspaceId: connection.workspaceId,
        actor,
        action: "connection.refreshed",
        target: refName(connectionRef(connection)),
        data: { connectionId: connection.id, rotated, expiresAt },
      },
      tx,
    );
    return connection.version + 1;
  });
}

export function connectionRef(connection: Pick<ConnectionWithTokens, "kind" | "providerId" | "serverUrl">): ConnectionRef {
  return connection.kind === "provider" ? { kind: "provider", providerId: connection.providerId! } : { kind: "mcp", serverUrl: connection.serverUrl! };
}

/** The connection is dead upstream (invalid_grant after a re-read): the user must reconnect. Audited. */
export async function markNeedsReconnect({
  connection,
  reason,
  actor,
}: {
  connection: Pick<ConnectionWithTokens, "id" | "workspaceId" | "userId" | "version" | "kind" | "providerId" | "serverUrl">;
  reason: string;
  actor: AuditActor;
}): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.connection.updateMany({
      where: { id: connection.id, workspaceId: connection.workspaceId, userId: connection.userId, version: connection.version, status: "active" },
      data: { status: "needs_reconnect", statusReason: reason, updatedAt: new Date(), version: { increment: 1 } },
    });
    if (count !== 1) return false;
    const ref: ConnectionRef = connection.kind === "provider" ? { kind: "provider", providerId: connection.providerId! } : { kind: "mcp", serverUrl: connection.serverUrl! };
    await appendAuditEvent(
      { workspaceId: connection.workspaceId, actor, action: "connection.needs_reconnect", target: refName(ref), data: { connectionId: connection.id, reason } },
      tx,
    );
    return true;
  });
}

/** Deletes the row (after the caller revoked upstream) and audits how the revocation went. */
export async function deleteConnection({
  connection,
  revocation,
  actor,
  ip,
  version,
  reason,
}: {
  connection: Pick<ConnectionWithTokens, "id" | "workspaceId" | "userId" | "kind" | "providerId" | "serverUrl">;
  revocation: "revoked" | "unsupported" | "failed";
  actor: AuditActor;
  ip?: string | null;
  /** Only if the tokens are still the ones revoked (the version read); omitted when they could not be read. */
  version?: number;
  /** Why, when it was not the user's own choice (e.g. `provider_removed`). */
  reason?: string;
}): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.connection.deleteMany({
      where: { id: connection.id, workspaceId: connection.workspaceId, userId: connection.userId, ...(version !== undefined ? { version } : {}) },
    });
    if (count !== 1) return false;
    const ref: ConnectionRef = connection.kind === "provider" ? { kind: "provider", providerId: connection.providerId! } : { kind: "mcp", serverUrl: connection.serverUrl! };
    await appendAuditEvent(
      {
        workspaceId: connection.workspaceId,
        actor,
        action: "connection.disconnected",
        target: refName(ref),
        ip,
        data: { connectionId: connection.id, revocation, ...(reason ? { reason } : {}) },
      },
      tx,
    );
    return true;
  });
}

/** The user's running jobs that hold a grant of this connection (the disconnect confirmation names them). */
export async function runningJobsUsing({ workspaceId, userId, connectionId }: { workspaceId: string; userId: string; connectionId: string }) {
  return db.jobConnectionGrant.findMany({
    where: { workspaceId, ownerUserId: userId, connectionId, job: { status: "running", expiresAt: { gt: new Date() } } },
    select: { jobId: true, envVar: true, job: { select: { createdAt: true, expiresAt: true } } },
    orderBy: { jobId: "asc" },
  });
}
