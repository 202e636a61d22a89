// The matrix's world, seeded once per worker: workspaces W1 (alice, owner; bob, member) and W2 (carol, owner).
// All three hold DIFFERENT values under the SAME secret names (API_KEY, DB_PASSWORD) plus names of their own;
// dave is in both workspaces with a different value in each; erin is a member whose job has no grants.
import type { PlaywrightWorkerArgs } from "@playwright/test";
import {
  addMemberAsync,
  completeJob,
  createWorkspaceAsync,
  endGraceWindow,
  expireJob,
  expireToken,
  issueServiceToken,
  openPortalSession,
  putSecret,
  revokeTokenById,
  rotateJobToken,
  secretValue,
  settingsLinkIdAsync,
  signOut,
  startJob,
  tokenIdOf,
  type CreatedJob,
} from "../../helpers/api-seed";
import { gatehouseAsync, randomTelegramId } from "../../helpers/cli";
import { expect, randomIp, sha256, withRedis } from "../../helpers/fixtures";

export const JOB_A_GRANTS = ["API_KEY", "DB_PASSWORD", "ALICE_ONLY", "ALICE_KEEP"];
export const JOB_B_GRANTS = ["API_KEY", "DB_PASSWORD", "BOB_ONLY"];
export const JOB_C_GRANTS = ["API_KEY", "DB_PASSWORD", "CAROL_ONLY"];
export const ALICE_SEEDED = ["ALICE_DENY", "ALICE_KEEP", "ALICE_ONLY", "ALICE_SCRATCH_DEL", "API_KEY", "DB_PASSWORD"];

export type UserKey = "alice" | "bob" | "carol";
type SeedUser = { userId: string; telegramId: string; session: string; values: Record<string, string> };
export type Seed = {
  w1: string;
  w2: string;
  users: Record<UserKey, SeedUser>;
  svc: { w1: string; w2: string; w1Expired: string; w1Revoked: string };
  jobs: Record<
    "a" | "b" | "c" | "aRotate" | "aExpired" | "aRevoked" | "aRotatedOut" | "aCompleted" | "aComplete" | "bComplete" | "victim" | "aDeny" | "erin",
    CreatedJob
  >;
  /** What completing jobs.aCompleted answered in seeding: a repeat and a GET must answer the same. */
  aCompletedView: unknown;
  sessions: { aliceExpired: string; aliceRevoked: string };
  erin: { userId: string };
  dave: { telegramId: string; w1Session: string; w2Session: string; w1Value: string; w2Value: string; w2Only: string };
  /** A 5-use invite of each workspace, and a fresh Telegram id the own cell redeems W1's for. */
  invites: { w1: string; w2: string; newcomer: string };
  /** Values the matrix writes (accepted ones belong to their writer; rejected ones must never be stored). */
  writes: { aliceNew: string; bobAliceOnly: string; carolAliceOnly: string; rejected: string[] };
};

export async function seedMatrix(playwright: PlaywrightWorkerArgs["playwright"]): Promise<Seed> {
  const tg = { alice: randomTelegramId(), bob: randomTelegramId(), carol: randomTelegramId(), dave: randomTelegramId(), erin: randomTelegramId() };
  const [w1, w2] = await Promise.all([createWorkspaceAsync("Alice Matrix", tg.alice), createWorkspaceAsync("Carol Matrix", tg.carol)]);

  // Members first (dave joins W1, then W2: one person, two workspaces). Membership changes lock the workspace
  // row and then wait for its audit lock; run beside other audited writes of that workspace (links, tokens)
  // they can deadlock, so they are not mixed (reported to the lead).
  const [bobId, erinId] = await Promise.all([
    addMemberAsync(w1.workspaceId, tg.bob, "Bob Matrix"),
    addMemberAsync(w1.workspaceId, tg.erin, "Erin Matrix"),
    addMemberAsync(w1.workspaceId, tg.dave, "Dave Matrix").then(() => addMemberAsync(w2.workspaceId, tg.dave, "Dave Matrix")),
  ]);
  // A new link ends the user's earlier unused one (SPEC §7), so each of Alice's three is opened before the next.
  const session = (workspaceId: string, telegramId: string) => settingsLinkIdAsync(workspaceId, telegramId).then((id) => openPortalSession(playwright, id));
  const aliceSessions = async () => {
    const out: string[] = [];
    for (let i = 0; i < 3; i++) out.push(await session(w1.workspaceId, tg.alice));
    return out;
  };
  const [svc1, svc2, svc1Expired, svc1Revoked, [alice, aliceExpired, aliceRevoked], bob, carol, daveW1, daveW2] = await Promise.all([
    issueServiceToken(w1.workspaceId),
    issueServiceToken(w2.workspaceId),
    issueServiceToken(w1.workspaceId, 60),
    issueServiceToken(w1.workspaceId),
    aliceSessions(),
    session(w1.workspaceId, tg.bob),
    session(w2.workspaceId, tg.carol),
    session(w1.workspaceId, tg.dave),
    session(w2.workspaceId, tg.dave),
  ]);
  await Promise.all([revokeTokenById(svc1Revoked.tokenId), expireToken(svc1Expired.token)]);

  const values = (owner: string, names: string[]) => Object.fromEntries(names.map((n) => [n, secretValue(owner, n)]));
  const users: Record<UserKey, SeedUser> = {
    alice: { userId: w1.ownerUserId, telegramId: tg.alice, session: alice!, values: values("alice", ALICE_SEEDED) },
    bob: { userId: bobId, telegramId: tg.bob, session: bob!, values: values("bob", ["API_KEY", "DB_PASSWORD", "BOB_ONLY"]) },
    carol: { userId: w2.ownerUserId, telegramId: tg.carol, session: carol!, values: values("carol", ["API_KEY", "DB_PASSWORD", "CAROL_ONLY"]) },
  };
  const dave = {
    telegramId: tg.dave,
    w1Session: daveW1!,
    w2Session: daveW2!,
    w1Value: secretValue("dave-w1", "API_KEY"),
    w2Value: secretValue("dave-w2", "API_KEY"),
    w2Only: secretValue("dave-w2", "DAVE_W2_ONLY"),
  };

  const api = await playwright.request.newContext({ extraHTTPHeaders: { "X-Forwarded-For": randomIp() } });
  try {
    await Promise.all([
      ...Object.values(users).flatMap((u) => Object.entries(u.values).map(([name, value]) => putSecret(api, u.session, name, value))),
      putSecret(api, dave.w1Session, "API_KEY", dave.w1Value),
      putSecret(api, dave.w2Session, "API_KEY", dave.w2Value),
      putSecret(api, dave.w2Session, "DAVE_W2_ONLY", dave.w2Only),
    ]);

    const grants = (names: string[]) => names.map((n) => ({ secret: n, envVar: n }));
    const forAlice = (names = ["API_KEY"]) => startJob(api, svc1.token, { user: { platform: "telegram", id: tg.alice }, grants: grants(names), ttlSeconds: 600 });
    const [a, b, c, aRotate, aExpired, aRevoked, aRotatedOut, aCompleted, aComplete, bComplete, victim, aDeny, erin] = await Promise.all([
      startJob(api, svc1.token, {
        user: { platform: "telegram", id: tg.alice },
        delivery: { platform: "telegram", chatId: tg.alice, threadId: "42" },
        grants: grants(JOB_A_GRANTS),
        ttlSeconds: 600,
      }),
      startJob(api, svc1.token, { user: { platform: "telegram", id: tg.bob }, delivery: { platform: "telegram", chatId: tg.bob }, grants: grants(JOB_B_GRANTS), ttlSeconds: 600 }),
      startJob(api, svc2.token, { user: { platform: "telegram", id: tg.carol }, grants: grants(JOB_C_GRANTS), ttlSeconds: 600 }),
      forAlice(),
      forAlice(),
      forAlice(),
      forAlice(),
      forAlice(),
      forAlice(),
      startJob(api, svc1.token, { user: { platform: "telegram", id: tg.bob }, grants: grants(["BOB_ONLY"]), ttlSeconds: 600 }),
      forAlice(),
      forAlice(["ALICE_DENY"]),
      startJob(api, svc1.token, { user: { platform: "telegram", id: tg.erin }, ttlSeconds: 600 }),
    ]);

    // Time passes, tokens are revoked and rotated, a job ends, sessions expire or are signed out.
    const [, , rotated, aCompletedView] = await Promise.all([
      expireJob(aExpired.jobId),
      tokenIdOf(aRevoked.token).then(revokeTokenById),
      rotateJobToken(api, aRotatedOut),
      completeJob(api, svc1.token, aCompleted.jobId),
      withRedis((r) => r.pexpire(`portal:session:{${sha256(aliceExpired!)}}`, 1)),
      signOut(api, aliceRevoked!),
    ]);
    expect(rotated.expiresAt).toBe(aRotatedOut.expiresAt);
    await endGraceWindow(aRotatedOut.token);
    // A signed checkpoint in each workspace, for the checkpoints endpoint's cells, and an invite of each.
    await Promise.all([w1.workspaceId, w2.workspaceId].map((w) => gatehouseAsync("audit", "checkpoint", "--workspace", w)));
    const [inviteW1, inviteW2] = await Promise.all(
      [w1.workspaceId, w2.workspaceId].map((w) => gatehouseAsync<{ code: string }>("invite", "create", "--workspace", w, "--max-uses", "5")),
    );
    await new Promise((r) => setTimeout(r, 20));

    return {
      w1: w1.workspaceId,
      w2: w2.workspaceId,
      users,
      svc: { w1: svc1.token, w2: svc2.token, w1Expired: svc1Expired.token, w1Revoked: svc1Revoked.token },
      jobs: { a, b, c, aRotate, aExpired, aRevoked, aRotatedOut, aCompleted, aComplete, bComplete, victim, aDeny, erin },
      aCompletedView,
      sessions: { aliceExpired: aliceExpired!, aliceRevoked: aliceRevoked! },
      erin: { userId: erinId },
      dave,
      invites: { w1: inviteW1!.code, w2: inviteW2!.code, newcomer: randomTelegramId() },
      writes: {
        aliceNew: secretValue("alice", "ALICE_NEW"),
        bobAliceOnly: secretValue("bob", "ALICE_ONLY"),
        carolAliceOnly: secretValue("carol", "ALICE_ONLY"),
        rejected: [0, 1, 2, 3].map((i) => secretValue(`rejected-${i}`, "ALICE_ONLY")),
      },
    };
  } finally {
    await api.dispose();
  }
}
