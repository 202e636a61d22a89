// OAuth identity binding (SPEC §3): bound on first use, verified after, keyed only by (provider, subject),
// race-free under concurrency; and the callback that consumes the pending state and opens the session.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeWorkspace } from "@/test/factories";
import type * as DbModule from "../db/client";
import type * as LinksModule from "../links/sessions";
import type * as OpenModule from "../flows/settings-link";
import type * as SessionsModule from "../portal/sessions";
import type * as OAuthModule from "./bindings";

// An identity provider must be configured before the config is first parsed; nothing is ever fetched from it.
vi.stubEnv("SETTINGS_OAUTH_ISSUER", "http://127.0.0.1:9/");
vi.stubEnv("SETTINGS_OAUTH_CLIENT_ID", "x");

let oauth: typeof OAuthModule;
let links: typeof LinksModule;
let open: typeof OpenModule;
let sessions: typeof SessionsModule;
let db: typeof DbModule.db;

beforeAll(async () => {
  oauth = await import("./bindings");
  links = await import("../links/sessions");
  open = await import("../flows/settings-link");
  sessions = await import("../portal/sessions");
  ({ db } = await import("../db/client"));
});

afterAll(async () => {
  const { closeLazyClients } = await import("../lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

const actor = { type: "system", id: "test" } as const;
const subject = () => `sub-${randomBytes(8).toString("hex")}`;
const codeOf = (r: PromiseSettledResult<unknown>) => (r.status === "rejected" ? (r.reason as { code?: string }).code : undefined);

async function member() {
  const ws = await makeWorkspace();
  return { workspaceId: ws.workspaceId, userId: ws.ownerUserId };
}

function audits(workspaceId: string, action: string) {
  return db.auditEvent.count({ where: { workspaceId, action } });
}

describe("bindOrVerifyIdentity", () => {
  it("names the provider by its issuer", () => {
    expect(oauth.settingsProviderKey()).toBe("oidc:http://127.0.0.1:9/");
  });

  it("binds on first use and verifies the same subject afterwards", async () => {
    const { workspaceId, userId } = await member();
    const provider = oauth.settingsProviderKey();
    const sub = subject();

    expect(await oauth.bindOrVerifyIdentity({ workspaceId, userId, provider, subject: sub, ip: "192.0.2.1" })).toBe("bound");
    const rows = await db.oAuthBinding.findMany({ where: { userId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ userId, provider, subject: sub });
    expect(await audits(workspaceId, "identity.bound")).toBe(1);

    expect(await oauth.bindOrVerifyIdentity({ workspaceId, userId, provider, subject: sub })).toBe("verified");
    expect(await db.oAuthBinding.count({ where: { userId } })).toBe(1);
    expect(await audits(workspaceId, "identity.verified")).toBe(1);
    expect(await audits(workspaceId, "identity.mismatch")).toBe(0);
  });

  it("refuses another subject for an already bound user", async () => {
    const { workspaceId, userId } = await member();
    const provider = oauth.settingsProviderKey();
    const sub = subject();
    await oauth.bindOrVerifyIdentity({ workspaceId, userId, provider, subject: sub });
    const intruder = subject();

    await expect(oauth.bindOrVerifyIdentity({ workspaceId, userId, provider, subject: intruder })).rejects.toMatchObject({
      code: "forbidden",
      status: 403,
      message: "This link was sent to a different account.",
    });
    expect(await db.oAuthBinding.findMany({ where: { userId }, select: { subject: true } })).toEqual([{ subject: sub }]);
    expect(await db.oAuthBinding.count({ where: { provider, subject: intruder } })).toBe(0);
    expect(await audits(workspaceId, "identity.mismatch")).toBe(1);
    expect(await audits(workspaceId, "identity.bound")).toBe(1);
  });

  it("refuses a subject that is bound to another user", async () => {
    const a = await member();
    const b = await member();
    const provider = oauth.settingsProviderKey();
    const sub = subject();
    expect(await oauth.bindOrVerifyIdentity({ ...a, provider, subject: sub })).toBe("bound");

    await expect(oauth.bindOrVerifyIdentity({ ...b, provider, subject: sub })).rejects.toMatchObject({ code: "forbidden" });
    expect(await db.oAuthBinding.count({ where: { userId: b.userId } })).toBe(0);
    expect(await db.oAuthBinding.findMany({ where: { provider, subject: sub }, select: { userId: true } })).toEqual([{ userId: a.userId }]);
    expect(await audits(b.workspaceId, "identity.mismatch")).toBe(1);
    expect(await audits(a.workspaceId, "identity.mismatch")).toBe(0);
    // The audit keeps a digest, not the subject itself.
    const rows = await db.auditEvent.findMany({ where: { workspaceId: b.workspaceId, action: "identity.mismatch" }, select: { data: true } });
    expect(JSON.stringify(rows)).not.toContain(sub);
  });

  it("binds one fresh subject to exactly one of 20 users racing for it", async () => {
    const provider = oauth.settingsProviderKey();
    const sub = subject();
    const users = await Promise.all(Array.from({ length: 20 }, () => member()));
    const results = await Promise.allSettled(users.map((u) => oauth.bindOrVerifyIdentity({ ...u, provider, subject: sub })));

    const bound = results.filter((r) => r.status === "fulfilled" && r.value === "bound");
    expect(bound).toHaveLength(1);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.map(codeOf).filter((c) => c === "forbidden")).toHaveLength(19);

    const rows = await db.oAuthBinding.findMany({ where: { provider, subject: sub }, select: { userId: true } });
    expect(rows).toHaveLength(1);
    const winner = users[results.findIndex((r) => r.status === "fulfilled")]!;
    expect(rows[0]!.userId).toBe(winner.userId);
    expect(await db.oAuthBinding.count({ where: { userId: { in: users.map((u) => u.userId) } } })).toBe(1);
    for (const u of users) expect(await audits(u.workspaceId, u === winner ? "identity.bound" : "identity.mismatch")).toBe(1);
  });

  it("binds exactly one of 20 different subjects racing for one fresh user", async () => {
    const u = await member();
    const provider = oauth.settingsProviderKey();
    const subs = Array.from({ length: 20 }, () => subject());
    const results = await Promise.allSettled(subs.map((s) => oauth.bindOrVerifyIdentity({ ...u, provider, subject: s })));

    expect(results.filter((r) => r.status === "fulfilled" && r.value === "bound")).toHaveLength(1);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.map(codeOf).filter((c) => c === "forbidden")).toHaveLength(19);

    const rows = await db.oAuthBinding.findMany({ where: { userId: u.userId }, select: { subject: true } });
    expect(rows).toEqual([{ subject: subs[results.findIndex((r) => r.status === "fulfilled")] }]);
    expect(await db.oAuthBinding.count({ where: { provider, subject: { in: subs } } })).toBe(1);
    expect(await audits(u.workspaceId, "identity.bound")).toBe(1);
    expect(await audits(u.workspaceId, "identity.mismatch")).toBe(19);
  });

  it("keys bindings only by provider and subject: two users with their own subjects both bind", async () => {
    const a = await member();
    const b = await member();
    const provider = oauth.settingsProviderKey();
    const [subA, subB] = [subject(), subject()];
    expect(await oauth.bindOrVerifyIdentity({ ...a, provider, subject: subA })).toBe("bound");
    expect(await oauth.bindOrVerifyIdentity({ ...b, provider, subject: subB })).toBe("bound");
    const row = await db.oAuthBinding.findUniqueOrThrow({ where: { provider_subject: { provider, subject: subA } } });
    expect(Object.keys(row).sort()).toEqual(["createdAt", "id", "provider", "subject", "userId"]);
    expect(row.userId).toBe(a.userId);
    // The same subject string under another provider is a different identity.
    expect(await oauth.bindOrVerifyIdentity({ ...b, provider: "oidc:https://other.example/", subject: subA })).toBe("bound");
  });
});

describe("completeIdentity", () => {
  async function pendingFor(u: { workspaceId: string; userId: string }) {
    const { id } = await links.createLinkSession({ ...u, purpose: { kind: "settings" }, actor });
    const opened = await open.openLink({ id, ip: "192.0.2.10", userAgent: "vitest" });
    if (opened.next !== "identity") throw new Error(`expected the identity step, got ${opened.next}`);
    expect(opened.pendingId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    return opened.pendingId;
  }

  it("consumes the pending state once and opens a portal session", async () => {
    const u = await member();
    const pendingId = await pendingFor(u);
    const sub = subject();
    const s = await open.completeIdentity({ pendingId, subject: sub, signedInAt: Date.now(), ip: "192.0.2.10", userAgent: "vitest" });
    expect(await sessions.getPortalSession(s.sessionId)).toMatchObject({ ...u, method: "oauth" });
    expect(await db.oAuthBinding.count({ where: { userId: u.userId, subject: sub } })).toBe(1);

    await expect(open.completeIdentity({ pendingId, subject: sub, signedInAt: Date.now(), ip: "192.0.2.10", userAgent: "vitest" })).rejects.toMatchObject({
      code: "link_expired",
    });
    expect(await sessions.listPortalSessions(u)).toHaveLength(1);
    expect(await audits(u.workspaceId, "portal.session.created")).toBe(1);
  });

  it("needs a subject", async () => {
    const u = await member();
    const pendingId = await pendingFor(u);
    await expect(open.completeIdentity({ pendingId, subject: undefined, signedInAt: Date.now(), ip: "192.0.2.10", userAgent: null })).rejects.toMatchObject({
      code: "unauthorized",
    });
    expect(await db.oAuthBinding.count({ where: { userId: u.userId } })).toBe(0);
    expect(await sessions.listPortalSessions(u)).toHaveLength(0);
  });

  it("opens no session when the subject does not match the bound one", async () => {
    const u = await member();
    const sub = subject();
    const first = await open.completeIdentity({ pendingId: await pendingFor(u), subject: sub, signedInAt: Date.now(), ip: "192.0.2.10", userAgent: null });
    const before = await sessions.listPortalSessions(u);
    expect(before.map((s) => s.ref)).toHaveLength(1);

    const pendingId = await pendingFor(u);
    await expect(
      open.completeIdentity({ pendingId, subject: subject(), signedInAt: Date.now(), ip: "192.0.2.10", userAgent: null, currentSession: first.sessionId }),
    ).rejects.toMatchObject({ code: "forbidden" });
    expect((await sessions.listPortalSessions(u)).map((s) => s.ref)).toEqual(before.map((s) => s.ref));
    expect(await audits(u.workspaceId, "portal.session.created")).toBe(1);
    expect(await audits(u.workspaceId, "identity.mismatch")).toBe(1);
    expect(await db.oAuthBinding.findMany({ where: { userId: u.userId }, select: { subject: true } })).toEqual([{ subject: sub }]);
    // The pending state is spent even though the attempt failed.
    await expect(open.completeIdentity({ pendingId, subject: sub, signedInAt: Date.now(), ip: "192.0.2.10", userAgent: null })).rejects.toMatchObject({
      code: "link_expired",
    });
  });
});

describe("completeIdentity ties the provider sign-in to this link", () => {
  it.each([
    ["a sign-in from before Continue was pressed", () => Date.now() - 60_000],
    ["a sign-in older than the pending window", () => Date.now() - 11 * 60_000],
    ["no sign-in time at all", () => undefined],
  ])("refuses %s and opens no session", async (_name, signedInAt) => {
    const pendingMod = await import("../links/pending");
    const { workspaceId, ownerUserId } = await makeWorkspace();
    const pendingId = await pendingMod.createPendingIdentity({ workspaceId, userId: ownerUserId, link: "x", purpose: "settings" });
    await expect(
      open.completeIdentity({ pendingId, subject: `sub-${Math.random()}`, signedInAt: signedInAt(), ip: "192.0.2.10", userAgent: null }),
    ).rejects.toMatchObject({ code: "unauthorized" });
  });
});
