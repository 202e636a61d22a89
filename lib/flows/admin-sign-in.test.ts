// Getting into the admin console (SPEC §13): an admin link opens an admin session (never a portal one) for an owner
// or admin only; next-auth sign-in at /admin needs a subject already bound to an owner or admin, never binds, never
// matches by e-mail; an admin of several workspaces chooses one, once.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { makeMember, makeWorkspace } from "@/test/factories";
import type * as AdminSessions from "../admin/sessions";
import type * as Bindings from "../identity/bindings";
import type * as Links from "../links/sessions";
import type * as Roles from "../members/roles";
import type * as Portal from "../portal/sessions";
import type * as SignIn from "./admin-sign-in";
import type * as Open from "./settings-link";

vi.stubEnv("SETTINGS_OAUTH_ISSUER", "http://127.0.0.1:9/");
vi.stubEnv("SETTINGS_OAUTH_CLIENT_ID", "x");

let signIn: typeof SignIn;
let open: typeof Open;
let links: typeof Links;
let admin: typeof AdminSessions;
let portal: typeof Portal;
let bindings: typeof Bindings;
let roles: typeof Roles;
let started: () => Promise<string>;

beforeAll(async () => {
  signIn = await import("./admin-sign-in");
  open = await import("./settings-link");
  links = await import("../links/sessions");
  admin = await import("../admin/sessions");
  portal = await import("../portal/sessions");
  bindings = await import("../identity/bindings");
  roles = await import("../members/roles");
  started = (await import("../admin/pending")).startAdminSignIn;
});

afterAll(async () => {
  const { closeLazyClients } = await import("../lazy");
  await closeLazyClients();
  vi.unstubAllEnvs();
});

const actor = { type: "system", id: "test" } as const;
const browser = { ip: "192.0.2.20", userAgent: "vitest" };
const subject = () => `sub-${randomBytes(8).toString("hex")}`;

async function bound(workspaceId: string, userId: string) {
  const sub = subject();
  await bindings.bindOrVerifyIdentity({ workspaceId, userId, provider: bindings.settingsProviderKey(), subject: sub });
  return sub;
}

describe("admin links", () => {
  it("open an admin session for an owner, after the identity check, landing on /admin; no portal session", async () => {
    const ws = await makeWorkspace();
    const { id } = await links.createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "admin" }, actor });
    const opened = await open.openLink({ id, ...browser });
    if (opened.next !== "identity") throw new Error("expected the identity step");
    const done = await open.completeIdentity({ pendingId: opened.pendingId, subject: subject(), signedInAt: Date.now(), ...browser });
    expect(done).toMatchObject({ cookie: "admin", landing: "/admin" });
    expect(await admin.getAdminSession(done.sessionId)).toMatchObject({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, role: "owner", method: "oauth" });
    expect(await portal.getPortalSession(done.sessionId)).toBeNull();
    expect(await portal.listPortalSessions({ workspaceId: ws.workspaceId, userId: ws.ownerUserId })).toEqual([]);
  });

  it("refuse someone who lost the admin role after the link was sent, and open nothing", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    await roles.changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "admin", acting: "operator", actor });
    const { id } = await links.createLinkSession({ workspaceId: ws.workspaceId, userId: m.userId, purpose: { kind: "admin" }, actor });
    await roles.changeRole({ workspaceId: ws.workspaceId, userId: m.userId, role: "member", acting: "operator", actor });
    const opened = await open.openLink({ id, ...browser });
    if (opened.next !== "identity") throw new Error("expected the identity step");
    await expect(open.completeIdentity({ pendingId: opened.pendingId, subject: subject(), signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "forbidden", reason: "not_admin" });
    expect(await admin.listAdminSessions({ workspaceId: ws.workspaceId })).toEqual([]);
  });
});

describe("next-auth sign-in at /admin", () => {
  it("opens an admin session for a bound owner", async () => {
    const ws = await makeWorkspace();
    const sub = await bound(ws.workspaceId, ws.ownerUserId);
    const result = await signIn.completeAdminSignIn({ signInId: await started(), subject: sub, signedInAt: Date.now(), ...browser });
    if (result.next !== "session") throw new Error("expected a session");
    expect(await admin.getAdminSession(result.sessionId)).toMatchObject({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, method: "oauth" });
  });

  it("refuses an unbound subject, a bound member, a stale or missing sign-in — and binds nothing", async () => {
    const ws = await makeWorkspace();
    const m = await makeMember(ws.workspaceId);
    const memberSub = await bound(ws.workspaceId, m.userId);
    const stranger = subject();
    await expect(signIn.completeAdminSignIn({ signInId: await started(), subject: stranger, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "forbidden", reason: "not_admin" });
    await expect(signIn.completeAdminSignIn({ signInId: await started(), subject: memberSub, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "forbidden", reason: "not_admin" });
    await expect(signIn.completeAdminSignIn({ signInId: await started(), subject: memberSub, signedInAt: Date.now() - 11 * 60_000, ...browser })).rejects.toMatchObject({ code: "unauthorized" });
    await expect(signIn.completeAdminSignIn({ signInId: await started(), subject: undefined, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "unauthorized" });
    const { db } = await import("../db/client");
    expect(await db.oAuthBinding.count({ where: { subject: stranger } })).toBe(0);
  });

  it("needs the sign-in this browser started, once, answered after it started (no planted or replayed token)", async () => {
    const ws = await makeWorkspace();
    const sub = await bound(ws.workspaceId, ws.ownerUserId);
    await expect(signIn.completeAdminSignIn({ signInId: undefined, subject: sub, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "unauthorized" });
    await expect(signIn.completeAdminSignIn({ signInId: "A".repeat(43), subject: sub, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "unauthorized" });
    const early = Date.now() - 1000;
    await expect(signIn.completeAdminSignIn({ signInId: await started(), subject: sub, signedInAt: early, ...browser })).rejects.toMatchObject({ code: "unauthorized" });
    const once = await started();
    const first = await signIn.completeAdminSignIn({ signInId: once, subject: sub, signedInAt: Date.now(), ...browser });
    expect(first.next).toBe("session");
    await expect(signIn.completeAdminSignIn({ signInId: once, subject: sub, signedInAt: Date.now(), ...browser })).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("lets an admin of several workspaces choose one, once, and only among them", async () => {
    const a = await makeWorkspace();
    const b = await makeWorkspace();
    const other = await makeWorkspace();
    const sub = await bound(a.workspaceId, a.ownerUserId);
    const { addMember } = await import("../members/membership");
    const { listPlatformIdentities } = await import("../identity/users");
    const [identity] = await listPlatformIdentities(a.ownerUserId);
    await addMember({ workspaceId: b.workspaceId, identity: { platform: "telegram", externalId: identity!.externalId }, role: "admin", actor });
    const result = await signIn.completeAdminSignIn({ signInId: await started(), subject: sub, signedInAt: Date.now(), ...browser });
    if (result.next !== "choose") throw new Error("expected a choice");
    expect((await signIn.describeAdminChoice(result.pendingId))!.map((w) => w.id).sort()).toEqual([a.workspaceId, b.workspaceId].sort());
    await expect(signIn.chooseAdminWorkspace({ pendingId: result.pendingId, workspaceId: other.workspaceId, ...browser })).rejects.toMatchObject({ code: "bad_request" });
    // The refused choice used the pending sign-in up: it is one-time whatever was chosen.
    await expect(signIn.chooseAdminWorkspace({ pendingId: result.pendingId, workspaceId: b.workspaceId, ...browser })).rejects.toMatchObject({ code: "unauthorized" });

    const again = await signIn.completeAdminSignIn({ signInId: await started(), subject: sub, signedInAt: Date.now(), ...browser });
    if (again.next !== "choose") throw new Error("expected a choice");
    const both = await Promise.allSettled([0, 1].map(() => signIn.chooseAdminWorkspace({ pendingId: again.pendingId, workspaceId: b.workspaceId, ...browser })));
    expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const chosen = both.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ id: string }>;
    expect(await admin.getAdminSession(chosen.value.id)).toMatchObject({ workspaceId: b.workspaceId, role: "admin" });
  });
});
