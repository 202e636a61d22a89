// The cross-tenant matrix (SPEC §6, §11): every orchestrator, worker and portal endpoint × every kind of
// caller → the exact status and the whole body, and zero reads across users or workspaces.
//
// Seeded once for the file: workspaces W1 (alice, owner; bob, member) and W2 (carol, owner). All three hold
// DIFFERENT values under the SAME secret names (API_KEY, DB_PASSWORD) plus names of their own. Every cell's
// requests are fired in beforeAll, concurrently: first every read-only cell, then every cell that writes (each
// writing cell has its own job or secret name, so no two cells interfere); the tests below judge the answers.
import type { PlaywrightWorkerArgs } from "@playwright/test";
import { randomTelegramId } from "../../helpers/cli";
import {
  addMemberAsync,
  API,
  bearer,
  completeJob,
  CREDENTIALS_DENIED,
  createWorkspaceAsync,
  credentials,
  deleteSecret,
  expectJson,
  expireJob,
  expireToken,
  endGraceWindow,
  gatehouseAsync,
  INVALID_TOKEN,
  ISO,
  issueServiceToken,
  JOB_TOKEN,
  NO_SUCH_JOB,
  NO_SUCH_SECRET,
  NOT_A_MEMBER,
  openPortalSession,
  PORTAL,
  PORTAL_UNAUTHORIZED,
  putSecret,
  revokeTokenById,
  rotateJobToken,
  SAME_ORIGIN,
  secretValue,
  sessionCookie,
  settingsLinkIdAsync,
  signOut,
  startJob,
  tokenIdOf,
  UNSUPPORTED_SCHEME,
  UUID,
  workspaceCounts,
  type CreatedJob,
  type Grant,
  type WorkspaceCounts,
} from "../../helpers/api-seed";
import { expect, randomIp, sha256, test, withRedis } from "../../helpers/fixtures";

// One worker seeds once and runs the cells in order (a failure restarts the worker, which seeds afresh).
test.describe.configure({ mode: "default" });

const ENDPOINTS = [
  "POST /api/v1/jobs",
  "GET /api/v1/jobs/{jobId}",
  "POST /api/v1/jobs/{jobId}/complete",
  "GET /api/v1/worker/jobs/{jobId}/credentials",
  "POST /api/v1/worker/jobs/{jobId}/token/rotate",
  "GET /api/portal/secrets",
  "PUT /api/portal/secrets/{name}",
  "DELETE /api/portal/secrets/{name}",
] as const;
const CALLERS = [
  "own",
  "other user",
  "other workspace",
  "no auth",
  "malformed header",
  "Signed scheme",
  "expired token",
  "revoked token",
  "rotated-out after grace",
  "completed job",
] as const;
type Endpoint = (typeof ENDPOINTS)[number];
type Caller = (typeof CALLERS)[number];

type UserKey = "alice" | "bob" | "carol";
type SeedUser = { userId: string; telegramId: string; session: string; values: Record<string, string> };
type Seed = {
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
  /** Values the matrix writes (accepted ones belong to their writer; rejected ones must never be stored). */
  writes: { aliceNew: string; bobAliceOnly: string; carolAliceOnly: string; rejected: string[] };
};

type Req = { label: string; method: "GET" | "POST" | "PUT" | "DELETE"; url: string; headers?: Record<string, string>; json?: unknown };
type Cell = {
  requests: Req[];
  status: number;
  /** The whole JSON body (asymmetric matchers allowed); arrays of grants/credentials/secrets compare as sets. */
  body?: unknown;
  /** For bodies with racy fields (a secret's lastUsedAt). */
  check?: (body: unknown) => void;
  /** 204: no body at all. */
  empty?: true;
  /** Whose secret values this answer may carry: only a job's own credentials, for that job's owner. */
  readsValuesOf?: UserKey;
  /** Fired after every read-only cell. */
  writes?: true;
};
type Entry = ((s: Seed) => Cell) | { na: string };

// --- Request builders ---

const jobsUrl = `${API}/api/v1/jobs`;
const jobUrl = (id: string) => `${API}/api/v1/jobs/${id}`;
const completeUrl = (id: string) => `${API}/api/v1/jobs/${id}/complete`;
const credsUrl = (id: string) => `${API}/api/v1/worker/jobs/${id}/credentials`;
const rotateUrl = (id: string) => `${API}/api/v1/worker/jobs/${id}/token/rotate`;
const secretsUrl = `${PORTAL}/api/portal/secrets`;
const secretUrl = (name: string) => `${PORTAL}/api/portal/secrets/${name}`;

const flipLast = (t: string) => `${t.slice(0, -1)}${t.endsWith("A") ? "B" : "A"}`;

/** Authorization headers that are not a usable Bearer token, built around a real, live token. */
const malformedAuth = (live: string) => ({
  "bare scheme": "Bearer",
  "not a token": "Bearer not-a-token",
  truncated: `Bearer ${live.slice(0, -1)}`,
  "trailing junk": `Bearer ${live}x`,
  "well-formed, unknown": `Bearer ${flipLast(live)}`,
  "two tokens": `Bearer ${live} ${live}`,
});
/** Other schemes, including a real, live token presented under one. */
const otherSchemes = (live: string) => ({
  "Signed opaque": "Signed abc",
  "Signed live token": `Signed ${live}`,
  Basic: `Basic ${Buffer.from("user:pass").toString("base64")}`,
});

const withAuth = (base: Omit<Req, "label">, variants: Record<string, string>): Req[] =>
  Object.entries(variants).map(([label, authorization]) => ({ ...base, label, headers: { ...base.headers, Authorization: authorization } }));

const malformedCookies = (live: string) => ({
  "not a session": "gh_session=not-a-session",
  empty: "gh_session=",
  "well-formed, unknown": `gh_session=${flipLast(live)}`,
  "trailing junk": `gh_session=${live}x`,
  "https cookie name on http": `__Host-gh_session=${live}`,
});
const withCookies = (base: Omit<Req, "label">, variants: Record<string, string>): Req[] =>
  Object.entries(variants).map(([label, cookie]) => ({ ...base, label, headers: { ...base.headers, Cookie: cookie } }));

const createBody = (s: Seed, user: UserKey, grants: Grant[] = [{ secret: "API_KEY", envVar: "API_KEY" }]) => ({
  user: { platform: "telegram", id: s.users[user].telegramId },
  grants,
  ttlSeconds: 600,
});

// --- Expected bodies ---

const jobView = (
  s: Seed,
  job: CreatedJob,
  owner: UserKey,
  grants: string[],
  extra: { status?: string; endedAt?: unknown; delivery?: unknown } = {},
) => ({
  jobId: job.jobId,
  status: extra.status ?? "running",
  ownerUserId: s.users[owner].userId,
  createdAt: expect.stringMatching(ISO),
  expiresAt: job.expiresAt,
  endedAt: extra.endedAt ?? null,
  delivery: extra.delivery ?? null,
  grants: grants.map((name) => ({ secret: name, envVar: name })),
});

const credentialsOf = (s: Seed, owner: UserKey, names: string[]) => names.map((name) => ({ env_var: name, value: s.users[owner].values[name] }));

const JOB_A_GRANTS = ["API_KEY", "DB_PASSWORD", "ALICE_ONLY", "ALICE_KEEP"];
const JOB_B_GRANTS = ["API_KEY", "DB_PASSWORD", "BOB_ONLY"];
const JOB_C_GRANTS = ["API_KEY", "DB_PASSWORD", "CAROL_ONLY"];
const ALICE_SEEDED = ["ALICE_DENY", "ALICE_KEEP", "ALICE_ONLY", "ALICE_SCRATCH_DEL", "API_KEY", "DB_PASSWORD"];

/** A portal secret list: exactly these names, each {name, createdAt, updatedAt, lastUsedAt} and never a value. */
const secretList = (names: string[]) => (body: unknown) => {
  expect(Array.isArray(body), "a list").toBe(true);
  const items = body as Record<string, unknown>[];
  expect(items.map((i) => i.name).sort()).toEqual([...names].sort());
  for (const item of items) {
    expect(Object.keys(item).sort(), String(item.name)).toEqual(["createdAt", "lastUsedAt", "name", "updatedAt"]);
    expect(item.createdAt).toMatch(ISO);
    expect(item.updatedAt).toMatch(ISO);
    if (item.lastUsedAt !== null) expect(item.lastUsedAt).toMatch(ISO);
  }
};

const SERVICE_NOT_ROTATED = { na: "service tokens are never rotated (only job tokens are)" };
const PORTAL_NO_SCHEME = { na: "cookie-session route: no Authorization scheme takes part" };
const PORTAL_NOT_ROTATED = { na: "portal sessions are not rotated" };
const PORTAL_NO_JOB = { na: "portal routes involve no job" };

// --- The table ---

const MATRIX: Record<Endpoint, Record<Caller, Entry>> = {
  "POST /api/v1/jobs": {
    own: (s) => ({
      writes: true,
      requests: [{ label: "svc W1 → job for alice", method: "POST", url: jobsUrl, headers: bearer(s.svc.w1), json: createBody(s, "alice") }],
      status: 201,
      body: { jobId: expect.stringMatching(UUID), token: expect.stringMatching(JOB_TOKEN), expiresAt: expect.stringMatching(ISO) },
    }),
    // The service token speaks for the whole workspace, but a grant resolves only the job owner's secrets.
    "other user": (s) => ({
      writes: true,
      requests: [
        {
          label: "svc W1 → job for alice granting bob's BOB_ONLY",
          method: "POST",
          url: jobsUrl,
          headers: bearer(s.svc.w1),
          json: createBody(s, "alice", [{ secret: "BOB_ONLY", envVar: "BOB_ONLY" }]),
        },
      ],
      status: 422,
      body: {
        error: {
          code: "invalid_grants",
          message: "Some grants are invalid.",
          details: { grants: [{ index: 0, secret: "BOB_ONLY", envVar: "BOB_ONLY", reasons: ["secret_not_found"] }], missing_secrets: ["BOB_ONLY"] },
        },
      },
    }),
    "other workspace": (s) => ({
      writes: true,
      requests: [
        { label: "svc W1 → job for carol (W2)", method: "POST", url: jobsUrl, headers: bearer(s.svc.w1), json: createBody(s, "carol") },
        { label: "svc W2 → job for alice (W1)", method: "POST", url: jobsUrl, headers: bearer(s.svc.w2), json: createBody(s, "alice") },
      ],
      status: 403,
      body: NOT_A_MEMBER,
    }),
    "no auth": (s) => ({ writes: true, requests: [{ label: "no header", method: "POST", url: jobsUrl, json: createBody(s, "alice") }], status: 401, body: INVALID_TOKEN }),
    "malformed header": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: jobsUrl, json: createBody(s, "alice") }, malformedAuth(s.svc.w1)),
      status: 401,
      body: INVALID_TOKEN,
    }),
    "Signed scheme": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: jobsUrl, json: createBody(s, "alice") }, otherSchemes(s.svc.w1)),
      status: 401,
      body: UNSUPPORTED_SCHEME,
    }),
    "expired token": (s) => ({
      writes: true,
      requests: [{ label: "expired svc W1", method: "POST", url: jobsUrl, headers: bearer(s.svc.w1Expired), json: createBody(s, "alice") }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "revoked token": (s) => ({
      writes: true,
      requests: [{ label: "revoked svc W1", method: "POST", url: jobsUrl, headers: bearer(s.svc.w1Revoked), json: createBody(s, "alice") }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": { na: "creating a job involves no existing job" },
  },

  "GET /api/v1/jobs/{jobId}": {
    own: (s) => ({
      requests: [{ label: "svc W1 → alice's job", method: "GET", url: jobUrl(s.jobs.a.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.a, "alice", JOB_A_GRANTS, { delivery: { platform: "telegram", chatId: s.users.alice.telegramId, threadId: "42" } }),
    }),
    // Workspace-scoped by design: the orchestrator sees bob's job too, as names only, owned by bob.
    "other user": (s) => ({
      requests: [{ label: "svc W1 → bob's job", method: "GET", url: jobUrl(s.jobs.b.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.b, "bob", JOB_B_GRANTS, { delivery: { platform: "telegram", chatId: s.users.bob.telegramId, threadId: null } }),
    }),
    "other workspace": (s) => ({
      requests: [
        { label: "svc W1 → carol's job", method: "GET", url: jobUrl(s.jobs.c.jobId), headers: bearer(s.svc.w1) },
        { label: "svc W2 → alice's job", method: "GET", url: jobUrl(s.jobs.a.jobId), headers: bearer(s.svc.w2) },
      ],
      status: 404,
      body: NO_SUCH_JOB,
    }),
    "no auth": (s) => ({ requests: [{ label: "no header", method: "GET", url: jobUrl(s.jobs.a.jobId) }], status: 401, body: INVALID_TOKEN }),
    "malformed header": (s) => ({ requests: withAuth({ method: "GET", url: jobUrl(s.jobs.a.jobId) }, malformedAuth(s.svc.w1)), status: 401, body: INVALID_TOKEN }),
    "Signed scheme": (s) => ({ requests: withAuth({ method: "GET", url: jobUrl(s.jobs.a.jobId) }, otherSchemes(s.svc.w1)), status: 401, body: UNSUPPORTED_SCHEME }),
    "expired token": (s) => ({
      requests: [{ label: "expired svc W1", method: "GET", url: jobUrl(s.jobs.a.jobId), headers: bearer(s.svc.w1Expired) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "revoked token": (s) => ({
      requests: [{ label: "revoked svc W1", method: "GET", url: jobUrl(s.jobs.a.jobId), headers: bearer(s.svc.w1Revoked) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": (s) => ({
      requests: [{ label: "svc W1 → alice's completed job", method: "GET", url: jobUrl(s.jobs.aCompleted.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: s.aCompletedView,
    }),
  },

  "POST /api/v1/jobs/{jobId}/complete": {
    own: (s) => ({
      writes: true,
      requests: [{ label: "svc W1 → alice's job", method: "POST", url: completeUrl(s.jobs.aComplete.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.aComplete, "alice", ["API_KEY"], { status: "completed", endedAt: expect.stringMatching(ISO) }),
    }),
    // Workspace-scoped by design: the orchestrator may end any job of its workspace; the answer is bob's job.
    "other user": (s) => ({
      writes: true,
      requests: [{ label: "svc W1 → bob's job", method: "POST", url: completeUrl(s.jobs.bComplete.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.bComplete, "bob", ["BOB_ONLY"], { status: "completed", endedAt: expect.stringMatching(ISO) }),
    }),
    "other workspace": (s) => ({
      writes: true,
      requests: [
        { label: "svc W1 → carol's job", method: "POST", url: completeUrl(s.jobs.c.jobId), headers: bearer(s.svc.w1) },
        { label: "svc W2 → alice's job", method: "POST", url: completeUrl(s.jobs.victim.jobId), headers: bearer(s.svc.w2) },
      ],
      status: 404,
      body: NO_SUCH_JOB,
    }),
    "no auth": (s) => ({ writes: true, requests: [{ label: "no header", method: "POST", url: completeUrl(s.jobs.victim.jobId) }], status: 401, body: INVALID_TOKEN }),
    "malformed header": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: completeUrl(s.jobs.victim.jobId) }, malformedAuth(s.svc.w1)),
      status: 401,
      body: INVALID_TOKEN,
    }),
    "Signed scheme": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: completeUrl(s.jobs.victim.jobId) }, otherSchemes(s.svc.w1)),
      status: 401,
      body: UNSUPPORTED_SCHEME,
    }),
    "expired token": (s) => ({
      writes: true,
      requests: [{ label: "expired svc W1", method: "POST", url: completeUrl(s.jobs.victim.jobId), headers: bearer(s.svc.w1Expired) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "revoked token": (s) => ({
      writes: true,
      requests: [{ label: "revoked svc W1", method: "POST", url: completeUrl(s.jobs.victim.jobId), headers: bearer(s.svc.w1Revoked) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    // Idempotent: completing again answers exactly what the first completion did (same endedAt).
    "completed job": (s) => ({
      writes: true,
      requests: [{ label: "svc W1 → alice's completed job", method: "POST", url: completeUrl(s.jobs.aCompleted.jobId), headers: bearer(s.svc.w1) }],
      status: 200,
      body: s.aCompletedView,
    }),
  },

  "GET /api/v1/worker/jobs/{jobId}/credentials": {
    own: (s) => ({
      requests: [{ label: "alice's job token → her job", method: "GET", url: credsUrl(s.jobs.a.jobId), headers: bearer(s.jobs.a.token) }],
      status: 200,
      body: credentialsOf(s, "alice", JOB_A_GRANTS),
      readsValuesOf: "alice",
    }),
    "other user": (s) => ({
      requests: [
        { label: "bob's job token → alice's job", method: "GET", url: credsUrl(s.jobs.a.jobId), headers: bearer(s.jobs.b.token) },
        { label: "alice's job token → bob's job", method: "GET", url: credsUrl(s.jobs.b.jobId), headers: bearer(s.jobs.a.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "other workspace": (s) => ({
      requests: [
        { label: "carol's job token → alice's job", method: "GET", url: credsUrl(s.jobs.a.jobId), headers: bearer(s.jobs.c.token) },
        { label: "alice's job token → carol's job", method: "GET", url: credsUrl(s.jobs.c.jobId), headers: bearer(s.jobs.a.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "no auth": (s) => ({ requests: [{ label: "no header", method: "GET", url: credsUrl(s.jobs.a.jobId) }], status: 401, body: INVALID_TOKEN }),
    "malformed header": (s) => ({ requests: withAuth({ method: "GET", url: credsUrl(s.jobs.a.jobId) }, malformedAuth(s.jobs.a.token)), status: 401, body: INVALID_TOKEN }),
    "Signed scheme": (s) => ({ requests: withAuth({ method: "GET", url: credsUrl(s.jobs.a.jobId) }, otherSchemes(s.jobs.a.token)), status: 401, body: UNSUPPORTED_SCHEME }),
    "expired token": (s) => ({
      requests: [{ label: "expired job token → its job", method: "GET", url: credsUrl(s.jobs.aExpired.jobId), headers: bearer(s.jobs.aExpired.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "revoked token": (s) => ({
      requests: [{ label: "revoked job token → its job", method: "GET", url: credsUrl(s.jobs.aRevoked.jobId), headers: bearer(s.jobs.aRevoked.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "rotated-out after grace": (s) => ({
      requests: [{ label: "rotated-out job token → its job", method: "GET", url: credsUrl(s.jobs.aRotatedOut.jobId), headers: bearer(s.jobs.aRotatedOut.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "completed job": (s) => ({
      requests: [{ label: "completed job's token → its job", method: "GET", url: credsUrl(s.jobs.aCompleted.jobId), headers: bearer(s.jobs.aCompleted.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
  },

  "POST /api/v1/worker/jobs/{jobId}/token/rotate": {
    own: (s) => ({
      writes: true,
      requests: [{ label: "alice's job token → her job", method: "POST", url: rotateUrl(s.jobs.aRotate.jobId), headers: bearer(s.jobs.aRotate.token) }],
      status: 200,
      body: { token: expect.stringMatching(JOB_TOKEN), expiresAt: s.jobs.aRotate.expiresAt, previousTokenValidUntil: expect.stringMatching(ISO) },
    }),
    "other user": (s) => ({
      writes: true,
      requests: [
        { label: "bob's job token → alice's job", method: "POST", url: rotateUrl(s.jobs.a.jobId), headers: bearer(s.jobs.b.token) },
        { label: "alice's job token → bob's job", method: "POST", url: rotateUrl(s.jobs.b.jobId), headers: bearer(s.jobs.a.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "other workspace": (s) => ({
      writes: true,
      requests: [
        { label: "carol's job token → alice's job", method: "POST", url: rotateUrl(s.jobs.a.jobId), headers: bearer(s.jobs.c.token) },
        { label: "alice's job token → carol's job", method: "POST", url: rotateUrl(s.jobs.c.jobId), headers: bearer(s.jobs.a.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "no auth": (s) => ({ writes: true, requests: [{ label: "no header", method: "POST", url: rotateUrl(s.jobs.a.jobId) }], status: 401, body: INVALID_TOKEN }),
    "malformed header": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: rotateUrl(s.jobs.a.jobId) }, malformedAuth(s.jobs.a.token)),
      status: 401,
      body: INVALID_TOKEN,
    }),
    "Signed scheme": (s) => ({
      writes: true,
      requests: withAuth({ method: "POST", url: rotateUrl(s.jobs.a.jobId) }, otherSchemes(s.jobs.a.token)),
      status: 401,
      body: UNSUPPORTED_SCHEME,
    }),
    "expired token": (s) => ({
      writes: true,
      requests: [{ label: "expired job token → its job", method: "POST", url: rotateUrl(s.jobs.aExpired.jobId), headers: bearer(s.jobs.aExpired.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "revoked token": (s) => ({
      writes: true,
      requests: [{ label: "revoked job token → its job", method: "POST", url: rotateUrl(s.jobs.aRevoked.jobId), headers: bearer(s.jobs.aRevoked.token) }],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "rotated-out after grace": (s) => ({
      writes: true,
      requests: [
        { label: "rotated-out job token → its job", method: "POST", url: rotateUrl(s.jobs.aRotatedOut.jobId), headers: bearer(s.jobs.aRotatedOut.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
    "completed job": (s) => ({
      writes: true,
      requests: [
        { label: "completed job's token → its job", method: "POST", url: rotateUrl(s.jobs.aCompleted.jobId), headers: bearer(s.jobs.aCompleted.token) },
      ],
      status: 401,
      body: INVALID_TOKEN,
    }),
  },

  "GET /api/portal/secrets": {
    own: (s) => ({
      requests: [{ label: "alice's session", method: "GET", url: secretsUrl, headers: sessionCookie(s.users.alice.session) }],
      status: 200,
      check: secretList(ALICE_SEEDED),
    }),
    "other user": (s) => ({
      requests: [{ label: "bob's session", method: "GET", url: secretsUrl, headers: sessionCookie(s.users.bob.session) }],
      status: 200,
      check: secretList(["API_KEY", "BOB_ONLY", "DB_PASSWORD"]),
    }),
    "other workspace": (s) => ({
      requests: [{ label: "carol's session", method: "GET", url: secretsUrl, headers: sessionCookie(s.users.carol.session) }],
      status: 200,
      check: secretList(["API_KEY", "CAROL_ONLY", "DB_PASSWORD"]),
    }),
    "no auth": () => ({ requests: [{ label: "no cookie", method: "GET", url: secretsUrl }], status: 401, body: PORTAL_UNAUTHORIZED }),
    "malformed header": (s) => ({ requests: withCookies({ method: "GET", url: secretsUrl }, malformedCookies(s.users.alice.session)), status: 401, body: PORTAL_UNAUTHORIZED }),
    "Signed scheme": PORTAL_NO_SCHEME,
    "expired token": (s) => ({
      requests: [{ label: "alice's idle-expired session", method: "GET", url: secretsUrl, headers: sessionCookie(s.sessions.aliceExpired) }],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "revoked token": (s) => ({
      requests: [{ label: "alice's signed-out session", method: "GET", url: secretsUrl, headers: sessionCookie(s.sessions.aliceRevoked) }],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "rotated-out after grace": PORTAL_NOT_ROTATED,
    "completed job": PORTAL_NO_JOB,
  },

  "PUT /api/portal/secrets/{name}": {
    own: (s) => ({
      writes: true,
      requests: [
        {
          label: "alice puts ALICE_NEW",
          method: "PUT",
          url: secretUrl("ALICE_NEW"),
          headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.alice.session) },
          json: { value: s.writes.aliceNew },
        },
      ],
      status: 201,
      body: { name: "ALICE_NEW", created: true },
    }),
    // created:true — the write made bob's own secret; alice's secret of that name was not touched.
    "other user": (s) => ({
      writes: true,
      requests: [
        {
          label: "bob puts ALICE_ONLY",
          method: "PUT",
          url: secretUrl("ALICE_ONLY"),
          headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.bob.session) },
          json: { value: s.writes.bobAliceOnly },
        },
      ],
      status: 201,
      body: { name: "ALICE_ONLY", created: true },
    }),
    "other workspace": (s) => ({
      writes: true,
      requests: [
        {
          label: "carol puts ALICE_ONLY",
          method: "PUT",
          url: secretUrl("ALICE_ONLY"),
          headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.carol.session) },
          json: { value: s.writes.carolAliceOnly },
        },
      ],
      status: 201,
      body: { name: "ALICE_ONLY", created: true },
    }),
    "no auth": (s) => ({
      writes: true,
      requests: [{ label: "no cookie", method: "PUT", url: secretUrl("ALICE_ONLY"), headers: SAME_ORIGIN, json: { value: s.writes.rejected[0] } }],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "malformed header": (s) => ({
      writes: true,
      requests: withCookies({ method: "PUT", url: secretUrl("ALICE_ONLY"), headers: SAME_ORIGIN, json: { value: s.writes.rejected[1] } }, malformedCookies(s.users.alice.session)),
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "Signed scheme": PORTAL_NO_SCHEME,
    "expired token": (s) => ({
      writes: true,
      requests: [
        {
          label: "alice's idle-expired session",
          method: "PUT",
          url: secretUrl("ALICE_ONLY"),
          headers: { ...SAME_ORIGIN, ...sessionCookie(s.sessions.aliceExpired) },
          json: { value: s.writes.rejected[2] },
        },
      ],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "revoked token": (s) => ({
      writes: true,
      requests: [
        {
          label: "alice's signed-out session",
          method: "PUT",
          url: secretUrl("ALICE_ONLY"),
          headers: { ...SAME_ORIGIN, ...sessionCookie(s.sessions.aliceRevoked) },
          json: { value: s.writes.rejected[3] },
        },
      ],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "rotated-out after grace": PORTAL_NOT_ROTATED,
    "completed job": PORTAL_NO_JOB,
  },

  "DELETE /api/portal/secrets/{name}": {
    own: (s) => ({
      writes: true,
      requests: [
        { label: "alice deletes ALICE_SCRATCH_DEL", method: "DELETE", url: secretUrl("ALICE_SCRATCH_DEL"), headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.alice.session) } },
      ],
      status: 204,
      empty: true,
    }),
    "other user": (s) => ({
      writes: true,
      requests: [{ label: "bob deletes ALICE_KEEP", method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.bob.session) } }],
      status: 404,
      body: NO_SUCH_SECRET,
    }),
    "other workspace": (s) => ({
      writes: true,
      requests: [{ label: "carol deletes ALICE_KEEP", method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: { ...SAME_ORIGIN, ...sessionCookie(s.users.carol.session) } }],
      status: 404,
      body: NO_SUCH_SECRET,
    }),
    "no auth": () => ({ writes: true, requests: [{ label: "no cookie", method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: SAME_ORIGIN }], status: 401, body: PORTAL_UNAUTHORIZED }),
    "malformed header": (s) => ({
      writes: true,
      requests: withCookies({ method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: SAME_ORIGIN }, malformedCookies(s.users.alice.session)),
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "Signed scheme": PORTAL_NO_SCHEME,
    "expired token": (s) => ({
      writes: true,
      requests: [
        { label: "alice's idle-expired session", method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: { ...SAME_ORIGIN, ...sessionCookie(s.sessions.aliceExpired) } },
      ],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "revoked token": (s) => ({
      writes: true,
      requests: [
        { label: "alice's signed-out session", method: "DELETE", url: secretUrl("ALICE_KEEP"), headers: { ...SAME_ORIGIN, ...sessionCookie(s.sessions.aliceRevoked) } },
      ],
      status: 401,
      body: PORTAL_UNAUTHORIZED,
    }),
    "rotated-out after grace": PORTAL_NOT_ROTATED,
    "completed job": PORTAL_NO_JOB,
  },
};

// --- Seeding and firing ---

type Observed = { label: string; status: number; cacheControl: string | null; text: string };

let seed: Seed;
let cells: Map<string, Cell>;
let observed: Map<string, Observed[]>;
let countsBefore: Record<"w1" | "w2", WorkspaceCounts>;

const cellKey = (endpoint: Endpoint, caller: Caller) => `${endpoint} × ${caller}`;

/** Plain fetch: no cookie jar, so every request carries exactly the credentials its cell gives it. */
async function send(req: Req): Promise<Observed> {
  const headers: Record<string, string> = { "X-Forwarded-For": randomIp(), ...req.headers };
  if (req.json !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(req.url, { method: req.method, headers, body: req.json === undefined ? undefined : JSON.stringify(req.json), redirect: "manual" });
  return { label: req.label, status: res.status, cacheControl: res.headers.get("cache-control"), text: await res.text() };
}

async function seedAll(playwright: PlaywrightWorkerArgs["playwright"]): Promise<Seed> {
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
  const [svc1, svc2, svc1Expired, svc1Revoked, ...links] = await Promise.all([
    issueServiceToken(w1.workspaceId),
    issueServiceToken(w2.workspaceId),
    issueServiceToken(w1.workspaceId, 60),
    issueServiceToken(w1.workspaceId),
    settingsLinkIdAsync(w1.workspaceId, tg.alice),
    settingsLinkIdAsync(w1.workspaceId, tg.alice),
    settingsLinkIdAsync(w1.workspaceId, tg.alice),
    settingsLinkIdAsync(w1.workspaceId, tg.bob),
    settingsLinkIdAsync(w2.workspaceId, tg.carol),
    settingsLinkIdAsync(w1.workspaceId, tg.dave),
    settingsLinkIdAsync(w2.workspaceId, tg.dave),
  ]);
  await Promise.all([revokeTokenById(svc1Revoked.tokenId), expireToken(svc1Expired.token)]);
  const [alice, aliceExpired, aliceRevoked, bob, carol, daveW1, daveW2] = await Promise.all(links.map((id) => openPortalSession(playwright, id)));

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

test.beforeAll(async ({ playwright }) => {
  test.setTimeout(180_000);
  seed = await seedAll(playwright);
  cells = new Map();
  for (const endpoint of ENDPOINTS) {
    for (const caller of CALLERS) {
      const entry = MATRIX[endpoint][caller];
      if (typeof entry === "function") cells.set(cellKey(endpoint, caller), entry(seed));
    }
  }
  countsBefore = { w1: await workspaceCounts(seed.w1), w2: await workspaceCounts(seed.w2) };
  observed = new Map();
  for (const writes of [false, true]) {
    await Promise.all(
      [...cells].filter(([, cell]) => !!cell.writes === writes).map(async ([key, cell]) => observed.set(key, await Promise.all(cell.requests.map(send)))),
    );
  }
});

// Arrays of grants, credentials and secrets compare as sets: their order is not part of the contract.
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    const keyOf = (v: unknown) => {
      const o = v as Record<string, unknown> | null;
      const k = o && typeof o === "object" ? (o.env_var ?? o.envVar ?? o.name) : undefined;
      return typeof k === "string" ? k : null;
    };
    return items.every((v) => keyOf(v) !== null) ? [...items].sort((x, y) => keyOf(x)!.localeCompare(keyOf(y)!)) : items;
  }
  if (value && typeof value === "object" && value.constructor === Object) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

for (const endpoint of ENDPOINTS) {
  for (const caller of CALLERS) {
    const entry = MATRIX[endpoint][caller];
    test(`${endpoint} × ${caller}`, () => {
      if (typeof entry !== "function") {
        test.skip(true, `not applicable: ${entry.na}`);
        return;
      }
      const cell = cells.get(cellKey(endpoint, caller))!;
      for (const o of observed.get(cellKey(endpoint, caller))!) {
        expect.soft(o.status, `${o.label}: ${o.text}`).toBe(cell.status);
        expect.soft(o.cacheControl, `${o.label}: Cache-Control`).toBe("no-store");
        if (cell.empty) {
          expect.soft(o.text, o.label).toBe("");
          continue;
        }
        let body: unknown;
        try {
          body = JSON.parse(o.text);
        } catch {
          expect.soft(o.text, `${o.label}: a JSON body`).toBe("JSON");
          continue;
        }
        if (cell.body !== undefined) expect.soft(canonical(body), o.label).toEqual(canonical(cell.body));
        if (cell.check) {
          try {
            cell.check(body);
          } catch (err) {
            expect.soft(String(err), o.label).toBe("");
          }
        }
      }
    });
  }
}

test("no answer in the matrix carries a secret value other than the job owner's own, nor echoes a token or session", () => {
  const everyValue = [
    ...Object.entries(seed.users).flatMap(([owner, u]) => Object.values(u.values).map((value) => ({ owner, value }))),
    { owner: "alice", value: seed.writes.aliceNew },
    { owner: "bob", value: seed.writes.bobAliceOnly },
    { owner: "carol", value: seed.writes.carolAliceOnly },
    ...seed.writes.rejected.map((value) => ({ owner: "rejected write", value })),
    ...[seed.dave.w1Value, seed.dave.w2Value, seed.dave.w2Only].map((value) => ({ owner: "dave", value })),
  ];
  const credentialsOfAnyone = [
    ...Object.values(seed.svc),
    ...Object.values(seed.jobs).map((j) => j.token),
    ...Object.values(seed.users).map((u) => u.session),
    ...Object.values(seed.sessions),
  ];
  let answers = 0;
  for (const [key, cell] of cells) {
    for (const o of observed.get(key)!) {
      answers++;
      for (const { owner, value } of everyValue) {
        if (owner === cell.readsValuesOf) continue;
        expect.soft(o.text.includes(value), `${key} / ${o.label} leaks a value of ${owner}`).toBe(false);
      }
      if (o.status >= 400) {
        for (const secret of credentialsOfAnyone) expect.soft(o.text.includes(secret), `${key} / ${o.label} echoes a credential`).toBe(false);
      }
    }
  }
  expect(answers).toBeGreaterThan(80);
});

test("after the matrix every user still reads exactly their own values, and nothing a refused call aimed at changed", async ({ request }) => {
  const s = seed;
  // Jobs: only the one the own-cell created is new; nothing else was created, completed or rotated.
  expect(await workspaceCounts(s.w1)).toMatchObject({ jobs: countsBefore.w1.jobs + 1, jobCreated: countsBefore.w1.jobCreated + 1 });
  expect(await workspaceCounts(s.w2)).toEqual(countsBefore.w2);

  const [aliceCreds, bobCreds, carolCreds] = await Promise.all([credentials(request, s.jobs.a), credentials(request, s.jobs.b), credentials(request, s.jobs.c)]);
  expect(canonical(await aliceCreds.json())).toEqual(canonical(credentialsOf(s, "alice", JOB_A_GRANTS)));
  expect(canonical(await bobCreds.json())).toEqual(canonical(credentialsOf(s, "bob", JOB_B_GRANTS)));
  expect(canonical(await carolCreds.json())).toEqual(canonical(credentialsOf(s, "carol", JOB_C_GRANTS)));

  // The job the orchestrator created in the own cell is alice's and serves her value.
  const created = JSON.parse(observed.get(cellKey("POST /api/v1/jobs", "own"))![0]!.text) as CreatedJob;
  const createdCreds = await credentials(request, created);
  expect(await createdCreds.json()).toEqual([{ env_var: "API_KEY", value: s.users.alice.values.API_KEY }]);
  const createdView = await request.get(jobUrl(created.jobId), { headers: bearer(s.svc.w1) });
  expect(((await createdView.json()) as { ownerUserId: string }).ownerUserId).toBe(s.users.alice.userId);

  // The jobs that refused calls aimed at are still running, and the rotated job kept its expiry.
  for (const [svc, job] of [[s.svc.w1, s.jobs.victim], [s.svc.w2, s.jobs.c], [s.svc.w1, s.jobs.a], [s.svc.w1, s.jobs.b], [s.svc.w1, s.jobs.aRotate]] as const) {
    const res = await request.get(jobUrl(job.jobId), { headers: bearer(svc) });
    expect(await res.json()).toMatchObject({ jobId: job.jobId, status: "running", expiresAt: job.expiresAt });
  }

  // Portal: bob's and carol's writes under ALICE_ONLY made their own secrets; ALICE_KEEP survived.
  const list = async (session: string) => {
    const res = await request.get(secretsUrl, { headers: sessionCookie(session) });
    return ((await res.json()) as { name: string }[]).map((x) => x.name).sort();
  };
  expect(await list(s.users.alice.session)).toEqual(["ALICE_DENY", "ALICE_KEEP", "ALICE_NEW", "ALICE_ONLY", "API_KEY", "DB_PASSWORD"]);
  expect(await list(s.users.bob.session)).toEqual(["ALICE_ONLY", "API_KEY", "BOB_ONLY", "DB_PASSWORD"]);
  expect(await list(s.users.carol.session)).toEqual(["ALICE_ONLY", "API_KEY", "CAROL_ONLY", "DB_PASSWORD"]);
  const bobJob = await startJob(request, s.svc.w1, { user: { platform: "telegram", id: s.users.bob.telegramId }, grants: [{ secret: "ALICE_ONLY", envVar: "X" }] });
  expect(await (await credentials(request, bobJob)).json()).toEqual([{ env_var: "X", value: s.writes.bobAliceOnly }]);
  const newJob = await startJob(request, s.svc.w1, { user: { platform: "telegram", id: s.users.alice.telegramId }, grants: [{ secret: "ALICE_NEW", envVar: "X" }] });
  expect(await (await credentials(request, newJob)).json()).toEqual([{ env_var: "X", value: s.writes.aliceNew }]);
});

test("every reason to deny credentials gets the one 403 body, and a later secret of the same name is not re-granted", async ({ request }) => {
  const s = seed;
  // A job with no grants gets 204 while its owner is a member …
  const before = await credentials(request, s.jobs.erin);
  expect(before.status()).toBe(204);
  expect(before.headers()["cache-control"]).toBe("no-store");
  expect(await before.text()).toBe("");
  // … and 403 once the membership is gone; a job whose granted secret was deleted gets the same 403.
  await gatehouseAsync("member", "remove", "--workspace", s.w1, "--user", s.erin.userId);
  await deleteSecret(request, s.users.alice.session, "ALICE_DENY");
  await expectJson(await credentials(request, s.jobs.erin), 403, CREDENTIALS_DENIED, "membership removed");
  await expectJson(await credentials(request, s.jobs.aDeny), 403, CREDENTIALS_DENIED, "secret deleted");
  const recreated = secretValue("alice", "ALICE_DENY again");
  await putSecret(request, s.users.alice.session, "ALICE_DENY", recreated);
  const again = await credentials(request, s.jobs.aDeny);
  await expectJson(again, 403, CREDENTIALS_DENIED, "secret recreated");
  // The job token itself is still valid: rotation works, and the new token is denied the same way.
  const rotated = await rotateJobToken(request, s.jobs.aDeny);
  await expectJson(await credentials(request, { jobId: s.jobs.aDeny.jobId, token: rotated.token }), 403, CREDENTIALS_DENIED, "rotated token");
});

test("one person in two workspaces reads each workspace's value only through that workspace's jobs and sessions", async ({ request }) => {
  const s = seed;
  const dave = { platform: "telegram", id: s.dave.telegramId };
  const [inW1, inW2] = await Promise.all([
    startJob(request, s.svc.w1, { user: dave, grants: [{ secret: "API_KEY", envVar: "API_KEY" }] }),
    startJob(request, s.svc.w2, { user: dave, grants: [{ secret: "API_KEY", envVar: "API_KEY" }] }),
  ]);
  expect(await (await credentials(request, inW1)).json()).toEqual([{ env_var: "API_KEY", value: s.dave.w1Value }]);
  expect(await (await credentials(request, inW2)).json()).toEqual([{ env_var: "API_KEY", value: s.dave.w2Value }]);
  // dave's W1 job cannot be granted the secret dave has only in W2.
  const cross = await request.post(jobsUrl, { headers: bearer(s.svc.w1), data: { user: dave, grants: [{ secret: "DAVE_W2_ONLY", envVar: "X" }] } });
  await expectJson(cross, 422, {
    error: {
      code: "invalid_grants",
      message: "Some grants are invalid.",
      details: { grants: [{ index: 0, secret: "DAVE_W2_ONLY", envVar: "X", reasons: ["secret_not_found"] }], missing_secrets: ["DAVE_W2_ONLY"] },
    },
  });
  // Each session sees and changes only its own workspace's secrets.
  const names = async (session: string) => ((await (await request.get(secretsUrl, { headers: sessionCookie(session) })).json()) as { name: string }[]).map((x) => x.name).sort();
  expect(await names(s.dave.w1Session)).toEqual(["API_KEY"]);
  expect(await names(s.dave.w2Session)).toEqual(["API_KEY", "DAVE_W2_ONLY"]);
  const del = await request.delete(secretUrl("DAVE_W2_ONLY"), { headers: { ...SAME_ORIGIN, ...sessionCookie(s.dave.w1Session) } });
  await expectJson(del, 404, NO_SUCH_SECRET);
  expect(await names(s.dave.w2Session)).toEqual(["API_KEY", "DAVE_W2_ONLY"]);
});
