// The cross-tenant matrix as a table (SPEC §6, §11): for every endpoint × kind of caller, the requests to make
// and the exact status and whole body each must get, or why the cell does not apply. A cell gives only what
// differs between its requests (label, the path's {jobId} or {name}, headers, JSON body); the endpoint gives the
// method and path, and whether the cell writes (every method but GET).
import {
  API,
  bearer,
  INVALID_TOKEN,
  ISO,
  JOB_TOKEN,
  NO_SUCH_JOB,
  NO_SUCH_SECRET,
  NOT_A_MEMBER,
  PORTAL,
  PORTAL_UNAUTHORIZED,
  SAME_ORIGIN,
  sessionCookie,
  UNSUPPORTED_SCHEME,
  UUID,
  type CreatedJob,
  type Grant,
} from "../../helpers/api-seed";
import { expect } from "../../helpers/fixtures";
import { ALICE_SEEDED, JOB_A_GRANTS, JOB_B_GRANTS, type Seed, type UserKey } from "./seed";

export const ENDPOINTS = [
  "POST /api/v1/jobs",
  "GET /api/v1/jobs/{jobId}",
  "POST /api/v1/jobs/{jobId}/complete",
  "GET /api/v1/worker/jobs/{jobId}/credentials",
  "POST /api/v1/worker/jobs/{jobId}/token/rotate",
  "GET /api/portal/secrets",
  "PUT /api/portal/secrets/{name}",
  "DELETE /api/portal/secrets/{name}",
  "GET /api/v1/audit/checkpoints",
  "POST /api/v1/invites/redeem",
] as const;
export const CALLERS = [
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
export type Endpoint = (typeof ENDPOINTS)[number];
export type Caller = (typeof CALLERS)[number];

/** One request of a cell; `at` fills the {jobId} or {name} of the endpoint's path. */
type Call = { label: string; at?: string; headers?: Record<string, string>; json?: unknown };
/** What every request of a cell must be answered with. */
type Answer = {
  status: number;
  /** The whole JSON body (asymmetric matchers allowed); arrays of grants/credentials/secrets compare as sets. */
  body?: unknown;
  /** For bodies with racy fields (a secret's lastUsedAt). */
  check?: (body: unknown) => void;
  /** 204: no body at all. */
  empty?: true;
};
export type Cell = Answer & {
  calls: Call[];
  /** Whose secret values this answer may carry: only a job's own credentials, for that job's owner. */
  readsValuesOf?: UserKey;
};
export type Entry = ((s: Seed) => Cell) | { na: string };

export type Req = { label: string; method: "GET" | "POST" | "PUT" | "DELETE"; url: string; headers?: Record<string, string>; json?: unknown };

const methodOf = (endpoint: Endpoint) => endpoint.split(" ")[0] as Req["method"];

/** The endpoint's URL on its server, with `at` as its {jobId} or {name}. */
export function urlOf(endpoint: Endpoint, at?: string): string {
  const path = endpoint.split(" ")[1]!;
  if (path.includes("{") && at === undefined) throw new Error(`${endpoint}: a request needs the path parameter`);
  return `${path.startsWith("/api/portal/") ? PORTAL : API}${path.replace(/\{\w+\}/, at ?? "")}`;
}

export const requestsOf = (endpoint: Endpoint, cell: Cell): Req[] =>
  cell.calls.map(({ at, ...call }) => ({ ...call, method: methodOf(endpoint), url: urlOf(endpoint, at) }));

/** Writing cells are fired after every read-only one. */
export const writes = (endpoint: Endpoint) => methodOf(endpoint) !== "GET";

// --- Headers that are not a usable credential ---

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
const malformedCookies = (live: string) => ({
  "not a session": "gh_session=not-a-session",
  empty: "gh_session=",
  "well-formed, unknown": `gh_session=${flipLast(live)}`,
  "trailing junk": `gh_session=${live}x`,
  "https cookie name on http": `__Host-gh_session=${live}`,
});

/** One call per variant of a header, each labelled by its variant. */
const eachOf = (header: "Authorization" | "Cookie", variants: Record<string, string>, call: Omit<Call, "label"> = {}): Call[] =>
  Object.entries(variants).map(([label, value]) => ({ ...call, label, headers: { ...call.headers, [header]: value } }));

/** A job's own token, on that job. */
const ownToken = (job: CreatedJob) => ({ at: job.jobId, headers: bearer(job.token) });
/** A portal session on a same-origin write. */
const writingAs = (session: string) => ({ ...SAME_ORIGIN, ...sessionCookie(session) });

const createBody = (s: Seed, user: UserKey, grants: Grant[] = [{ secret: "API_KEY", envVar: "API_KEY" }]) => ({
  user: { platform: "telegram", id: s.users[user].telegramId },
  grants,
  ttlSeconds: 600,
});

// --- Answers ---

const REFUSED: Answer = { status: 401, body: INVALID_TOKEN };
const WRONG_SCHEME: Answer = { status: 401, body: UNSUPPORTED_SCHEME };
const NO_JOB: Answer = { status: 404, body: NO_SUCH_JOB };
const NO_SESSION: Answer = { status: 401, body: PORTAL_UNAUTHORIZED };
const NO_SECRET: Answer = { status: 404, body: NO_SUCH_SECRET };
const createdSecret = (name: string): Answer => ({ status: 201, body: { name, created: true } });

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
const completedView = (s: Seed, job: CreatedJob, owner: UserKey, grant: string): Answer => ({
  status: 200,
  body: jobView(s, job, owner, [grant], { status: "completed", endedAt: expect.stringMatching(ISO) }),
});

export const credentialsOf = (s: Seed, owner: UserKey, names: string[]) => names.map((name) => ({ env_var: name, value: s.users[owner].values[name] }));

/** A portal secret list: exactly these names, each {name, createdAt, updatedAt, lastUsedAt} and never a value. */
const secretList = (names: string[]): Answer => ({
  status: 200,
  check: (body) => {
    expect(Array.isArray(body), "a list").toBe(true);
    const items = body as Record<string, unknown>[];
    expect(items.map((i) => i.name).sort()).toEqual([...names].sort());
    for (const item of items) {
      expect(Object.keys(item).sort(), String(item.name)).toEqual(["createdAt", "lastUsedAt", "name", "updatedAt"]);
      expect(item.createdAt).toMatch(ISO);
      expect(item.updatedAt).toMatch(ISO);
      if (item.lastUsedAt !== null) expect(item.lastUsedAt).toMatch(ISO);
    }
  },
});

const SERVICE_NOT_ROTATED = { na: "service tokens are never rotated (only job tokens are)" };

const INVITE_INVALID: Answer = {
  status: 410,
  body: { error: { code: "invite_invalid", message: "This invite code is not valid: it may be mistyped, expired, used up or revoked. Ask for a new one." } },
};
const ALREADY_MEMBER: Answer = { status: 409, body: { error: { code: "already_member", message: "The user is already a member of this workspace." } } };
const redeemBody = (code: string, telegramId: string) => ({ code, user: { platform: "telegram", id: telegramId } });
// A distinct Telegram id per refused call, so a call that wrongly got through would show as a new member.
const refusedIds = new Map<string, string>();
const randomTelegramIdFor = (label: string) => {
  if (!refusedIds.has(label)) refusedIds.set(label, String(4_000_000_000_000 + refusedIds.size + Math.floor(Math.random() * 1_000_000) * 1000));
  return refusedIds.get(label)!;
};

/** A page of checkpoints that are all of this workspace's chain. */
const checkpointsOf = (workspaceId: string): Answer => ({
  status: 200,
  check: (body) => {
    const page = body as { checkpoints: { workspaceId: string }[]; nextAfter: unknown };
    expect(Object.keys(page).sort()).toEqual(["checkpoints", "nextAfter"]);
    // The seed signed each workspace's head once.
    expect(page.checkpoints.length).toBeGreaterThan(0);
    for (const cp of page.checkpoints) expect(cp.workspaceId).toBe(workspaceId);
  },
});
/** The cells no portal route has: it takes a cookie session, never rotated, and involves no job. */
const PORTAL_NOT_APPLICABLE = {
  "Signed scheme": { na: "cookie-session route: no Authorization scheme takes part" },
  "rotated-out after grace": { na: "portal sessions are not rotated" },
  "completed job": { na: "portal routes involve no job" },
};

/** Both worker routes take a job token on the job's own path and refuse every other caller alike. */
const WORKER_REFUSALS: Record<Exclude<Caller, "own">, Entry> = {
  "other user": (s) => ({
    calls: [
      { label: "bob's job token → alice's job", at: s.jobs.a.jobId, headers: bearer(s.jobs.b.token) },
      { label: "alice's job token → bob's job", at: s.jobs.b.jobId, headers: bearer(s.jobs.a.token) },
    ],
    ...REFUSED,
  }),
  "other workspace": (s) => ({
    calls: [
      { label: "carol's job token → alice's job", at: s.jobs.a.jobId, headers: bearer(s.jobs.c.token) },
      { label: "alice's job token → carol's job", at: s.jobs.c.jobId, headers: bearer(s.jobs.a.token) },
    ],
    ...REFUSED,
  }),
  "no auth": (s) => ({ calls: [{ label: "no header", at: s.jobs.a.jobId }], ...REFUSED }),
  "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.jobs.a.token), { at: s.jobs.a.jobId }), ...REFUSED }),
  "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.jobs.a.token), { at: s.jobs.a.jobId }), ...WRONG_SCHEME }),
  "expired token": (s) => ({ calls: [{ label: "expired job token → its job", ...ownToken(s.jobs.aExpired) }], ...REFUSED }),
  "revoked token": (s) => ({ calls: [{ label: "revoked job token → its job", ...ownToken(s.jobs.aRevoked) }], ...REFUSED }),
  "rotated-out after grace": (s) => ({ calls: [{ label: "rotated-out job token → its job", ...ownToken(s.jobs.aRotatedOut) }], ...REFUSED }),
  "completed job": (s) => ({ calls: [{ label: "completed job's token → its job", ...ownToken(s.jobs.aCompleted) }], ...REFUSED }),
};

// --- The table ---

export const MATRIX: Record<Endpoint, Record<Caller, Entry>> = {
  "POST /api/v1/jobs": {
    own: (s) => ({
      calls: [{ label: "svc W1 → job for alice", headers: bearer(s.svc.w1), json: createBody(s, "alice") }],
      status: 201,
      body: { jobId: expect.stringMatching(UUID), token: expect.stringMatching(JOB_TOKEN), expiresAt: expect.stringMatching(ISO) },
    }),
    // The service token speaks for the whole workspace, but a grant resolves only the job owner's secrets.
    "other user": (s) => ({
      calls: [
        {
          label: "svc W1 → job for alice granting bob's BOB_ONLY",
          headers: bearer(s.svc.w1),
          json: createBody(s, "alice", [{ secret: "BOB_ONLY", envVar: "BOB_ONLY" }]),
        },
      ],
      status: 422,
      body: {
        error: {
          code: "invalid_grants",
          message: "Some grants are invalid.",
          details: { grants: [{ index: 0, secret: "BOB_ONLY", envVar: "BOB_ONLY", reasons: ["secret_not_found"] }], missing_secrets: ["BOB_ONLY"], missing_connections: [] },
        },
      },
    }),
    "other workspace": (s) => ({
      calls: [
        { label: "svc W1 → job for carol (W2)", headers: bearer(s.svc.w1), json: createBody(s, "carol") },
        { label: "svc W2 → job for alice (W1)", headers: bearer(s.svc.w2), json: createBody(s, "alice") },
      ],
      status: 403,
      body: NOT_A_MEMBER,
    }),
    "no auth": (s) => ({ calls: [{ label: "no header", json: createBody(s, "alice") }], ...REFUSED }),
    "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.svc.w1), { json: createBody(s, "alice") }), ...REFUSED }),
    "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.svc.w1), { json: createBody(s, "alice") }), ...WRONG_SCHEME }),
    "expired token": (s) => ({ calls: [{ label: "expired svc W1", headers: bearer(s.svc.w1Expired), json: createBody(s, "alice") }], ...REFUSED }),
    "revoked token": (s) => ({ calls: [{ label: "revoked svc W1", headers: bearer(s.svc.w1Revoked), json: createBody(s, "alice") }], ...REFUSED }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": { na: "creating a job involves no existing job" },
  },

  "GET /api/v1/jobs/{jobId}": {
    own: (s) => ({
      calls: [{ label: "svc W1 → alice's job", at: s.jobs.a.jobId, headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.a, "alice", JOB_A_GRANTS, { delivery: { platform: "telegram", chatId: s.users.alice.telegramId, threadId: "42" } }),
    }),
    // Workspace-scoped by design: the orchestrator sees bob's job too, as names only, owned by bob.
    "other user": (s) => ({
      calls: [{ label: "svc W1 → bob's job", at: s.jobs.b.jobId, headers: bearer(s.svc.w1) }],
      status: 200,
      body: jobView(s, s.jobs.b, "bob", JOB_B_GRANTS, { delivery: { platform: "telegram", chatId: s.users.bob.telegramId, threadId: null } }),
    }),
    "other workspace": (s) => ({
      calls: [
        { label: "svc W1 → carol's job", at: s.jobs.c.jobId, headers: bearer(s.svc.w1) },
        { label: "svc W2 → alice's job", at: s.jobs.a.jobId, headers: bearer(s.svc.w2) },
      ],
      ...NO_JOB,
    }),
    "no auth": (s) => ({ calls: [{ label: "no header", at: s.jobs.a.jobId }], ...REFUSED }),
    "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.svc.w1), { at: s.jobs.a.jobId }), ...REFUSED }),
    "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.svc.w1), { at: s.jobs.a.jobId }), ...WRONG_SCHEME }),
    "expired token": (s) => ({ calls: [{ label: "expired svc W1", at: s.jobs.a.jobId, headers: bearer(s.svc.w1Expired) }], ...REFUSED }),
    "revoked token": (s) => ({ calls: [{ label: "revoked svc W1", at: s.jobs.a.jobId, headers: bearer(s.svc.w1Revoked) }], ...REFUSED }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": (s) => ({
      calls: [{ label: "svc W1 → alice's completed job", at: s.jobs.aCompleted.jobId, headers: bearer(s.svc.w1) }],
      status: 200,
      body: s.aCompletedView,
    }),
  },

  "POST /api/v1/jobs/{jobId}/complete": {
    own: (s) => ({
      calls: [{ label: "svc W1 → alice's job", at: s.jobs.aComplete.jobId, headers: bearer(s.svc.w1) }],
      ...completedView(s, s.jobs.aComplete, "alice", "API_KEY"),
    }),
    // Workspace-scoped by design: the orchestrator may end any job of its workspace; the answer is bob's job.
    "other user": (s) => ({
      calls: [{ label: "svc W1 → bob's job", at: s.jobs.bComplete.jobId, headers: bearer(s.svc.w1) }],
      ...completedView(s, s.jobs.bComplete, "bob", "BOB_ONLY"),
    }),
    "other workspace": (s) => ({
      calls: [
        { label: "svc W1 → carol's job", at: s.jobs.c.jobId, headers: bearer(s.svc.w1) },
        { label: "svc W2 → alice's job", at: s.jobs.victim.jobId, headers: bearer(s.svc.w2) },
      ],
      ...NO_JOB,
    }),
    "no auth": (s) => ({ calls: [{ label: "no header", at: s.jobs.victim.jobId }], ...REFUSED }),
    "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.svc.w1), { at: s.jobs.victim.jobId }), ...REFUSED }),
    "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.svc.w1), { at: s.jobs.victim.jobId }), ...WRONG_SCHEME }),
    "expired token": (s) => ({ calls: [{ label: "expired svc W1", at: s.jobs.victim.jobId, headers: bearer(s.svc.w1Expired) }], ...REFUSED }),
    "revoked token": (s) => ({ calls: [{ label: "revoked svc W1", at: s.jobs.victim.jobId, headers: bearer(s.svc.w1Revoked) }], ...REFUSED }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    // Idempotent: completing again answers exactly what the first completion did (same endedAt).
    "completed job": (s) => ({
      calls: [{ label: "svc W1 → alice's completed job", at: s.jobs.aCompleted.jobId, headers: bearer(s.svc.w1) }],
      status: 200,
      body: s.aCompletedView,
    }),
  },

  "GET /api/v1/worker/jobs/{jobId}/credentials": {
    own: (s) => ({
      calls: [{ label: "alice's job token → her job", ...ownToken(s.jobs.a) }],
      status: 200,
      body: credentialsOf(s, "alice", JOB_A_GRANTS),
      readsValuesOf: "alice",
    }),
    ...WORKER_REFUSALS,
  },

  "POST /api/v1/worker/jobs/{jobId}/token/rotate": {
    own: (s) => ({
      calls: [{ label: "alice's job token → her job", ...ownToken(s.jobs.aRotate) }],
      status: 200,
      body: { token: expect.stringMatching(JOB_TOKEN), expiresAt: s.jobs.aRotate.expiresAt, previousTokenValidUntil: expect.stringMatching(ISO) },
    }),
    ...WORKER_REFUSALS,
  },

  "GET /api/v1/audit/checkpoints": {
    own: (s) => ({ calls: [{ label: "svc W1", headers: bearer(s.svc.w1) }], ...checkpointsOf(s.w1) }),
    "other user": { na: "checkpoints belong to the workspace's chain, not to a user" },
    // The workspace comes from the token, never from the request.
    "other workspace": (s) => ({ calls: [{ label: "svc W2", headers: bearer(s.svc.w2) }], ...checkpointsOf(s.w2) }),
    "no auth": () => ({ calls: [{ label: "no header" }], ...REFUSED }),
    "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.svc.w1)), ...REFUSED }),
    "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.svc.w1)), ...WRONG_SCHEME }),
    "expired token": (s) => ({ calls: [{ label: "expired svc W1", headers: bearer(s.svc.w1Expired) }], ...REFUSED }),
    "revoked token": (s) => ({ calls: [{ label: "revoked svc W1", headers: bearer(s.svc.w1Revoked) }], ...REFUSED }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": { na: "checkpoints involve no job" },
  },

  "POST /api/v1/invites/redeem": {
    own: (s) => ({
      calls: [{ label: "svc W1 redeems W1's invite for a newcomer", headers: bearer(s.svc.w1), json: redeemBody(s.invites.w1, s.invites.newcomer) }],
      status: 201,
      body: { userId: expect.stringMatching(UUID), workspaceId: s.w1, role: "member" },
    }),
    // Bob is already in W1: the code is good, nothing is taken.
    "other user": (s) => ({ calls: [{ label: "svc W1 redeems W1's invite for bob", headers: bearer(s.svc.w1), json: redeemBody(s.invites.w1, s.users.bob.telegramId) }], ...ALREADY_MEMBER }),
    // A code names its workspace; the token's workspace decides. Another's code is the one 410 of every unusable code.
    "other workspace": (s) => ({
      calls: [
        { label: "svc W1 with W2's code", headers: bearer(s.svc.w1), json: redeemBody(s.invites.w2, randomTelegramIdFor("w1-w2")) },
        { label: "svc W2 with W1's code", headers: bearer(s.svc.w2), json: redeemBody(s.invites.w1, randomTelegramIdFor("w2-w1")) },
      ],
      ...INVITE_INVALID,
    }),
    "no auth": (s) => ({ calls: [{ label: "no header", json: redeemBody(s.invites.w1, randomTelegramIdFor("anon")) }], ...REFUSED }),
    "malformed header": (s) => ({ calls: eachOf("Authorization", malformedAuth(s.svc.w1)).map((c) => ({ ...c, json: redeemBody(s.invites.w1, randomTelegramIdFor(c.label)) })), ...REFUSED }),
    "Signed scheme": (s) => ({ calls: eachOf("Authorization", otherSchemes(s.svc.w1)).map((c) => ({ ...c, json: redeemBody(s.invites.w1, randomTelegramIdFor(c.label)) })), ...WRONG_SCHEME }),
    "expired token": (s) => ({ calls: [{ label: "expired svc W1", headers: bearer(s.svc.w1Expired), json: redeemBody(s.invites.w1, randomTelegramIdFor("expired")) }], ...REFUSED }),
    "revoked token": (s) => ({ calls: [{ label: "revoked svc W1", headers: bearer(s.svc.w1Revoked), json: redeemBody(s.invites.w1, randomTelegramIdFor("revoked")) }], ...REFUSED }),
    "rotated-out after grace": SERVICE_NOT_ROTATED,
    "completed job": { na: "redeeming involves no job" },
  },

  "GET /api/portal/secrets": {
    own: (s) => ({ calls: [{ label: "alice's session", headers: sessionCookie(s.users.alice.session) }], ...secretList(ALICE_SEEDED) }),
    "other user": (s) => ({ calls: [{ label: "bob's session", headers: sessionCookie(s.users.bob.session) }], ...secretList(["API_KEY", "BOB_ONLY", "DB_PASSWORD"]) }),
    "other workspace": (s) => ({ calls: [{ label: "carol's session", headers: sessionCookie(s.users.carol.session) }], ...secretList(["API_KEY", "CAROL_ONLY", "DB_PASSWORD"]) }),
    "no auth": () => ({ calls: [{ label: "no cookie" }], ...NO_SESSION }),
    "malformed header": (s) => ({ calls: eachOf("Cookie", malformedCookies(s.users.alice.session)), ...NO_SESSION }),
    "expired token": (s) => ({ calls: [{ label: "alice's idle-expired session", headers: sessionCookie(s.sessions.aliceExpired) }], ...NO_SESSION }),
    "revoked token": (s) => ({ calls: [{ label: "alice's signed-out session", headers: sessionCookie(s.sessions.aliceRevoked) }], ...NO_SESSION }),
    ...PORTAL_NOT_APPLICABLE,
  },

  "PUT /api/portal/secrets/{name}": {
    own: (s) => ({
      calls: [{ label: "alice puts ALICE_NEW", at: "ALICE_NEW", headers: writingAs(s.users.alice.session), json: { value: s.writes.aliceNew } }],
      ...createdSecret("ALICE_NEW"),
    }),
    // created:true — the write made bob's own secret; alice's secret of that name was not touched.
    "other user": (s) => ({
      calls: [{ label: "bob puts ALICE_ONLY", at: "ALICE_ONLY", headers: writingAs(s.users.bob.session), json: { value: s.writes.bobAliceOnly } }],
      ...createdSecret("ALICE_ONLY"),
    }),
    "other workspace": (s) => ({
      calls: [{ label: "carol puts ALICE_ONLY", at: "ALICE_ONLY", headers: writingAs(s.users.carol.session), json: { value: s.writes.carolAliceOnly } }],
      ...createdSecret("ALICE_ONLY"),
    }),
    "no auth": (s) => ({ calls: [{ label: "no cookie", at: "ALICE_ONLY", headers: SAME_ORIGIN, json: { value: s.writes.rejected[0] } }], ...NO_SESSION }),
    "malformed header": (s) => ({
      calls: eachOf("Cookie", malformedCookies(s.users.alice.session), { at: "ALICE_ONLY", headers: SAME_ORIGIN, json: { value: s.writes.rejected[1] } }),
      ...NO_SESSION,
    }),
    "expired token": (s) => ({
      calls: [{ label: "alice's idle-expired session", at: "ALICE_ONLY", headers: writingAs(s.sessions.aliceExpired), json: { value: s.writes.rejected[2] } }],
      ...NO_SESSION,
    }),
    "revoked token": (s) => ({
      calls: [{ label: "alice's signed-out session", at: "ALICE_ONLY", headers: writingAs(s.sessions.aliceRevoked), json: { value: s.writes.rejected[3] } }],
      ...NO_SESSION,
    }),
    ...PORTAL_NOT_APPLICABLE,
  },

  "DELETE /api/portal/secrets/{name}": {
    own: (s) => ({ calls: [{ label: "alice deletes ALICE_SCRATCH_DEL", at: "ALICE_SCRATCH_DEL", headers: writingAs(s.users.alice.session) }], status: 204, empty: true }),
    "other user": (s) => ({ calls: [{ label: "bob deletes ALICE_KEEP", at: "ALICE_KEEP", headers: writingAs(s.users.bob.session) }], ...NO_SECRET }),
    "other workspace": (s) => ({ calls: [{ label: "carol deletes ALICE_KEEP", at: "ALICE_KEEP", headers: writingAs(s.users.carol.session) }], ...NO_SECRET }),
    "no auth": () => ({ calls: [{ label: "no cookie", at: "ALICE_KEEP", headers: SAME_ORIGIN }], ...NO_SESSION }),
    "malformed header": (s) => ({ calls: eachOf("Cookie", malformedCookies(s.users.alice.session), { at: "ALICE_KEEP", headers: SAME_ORIGIN }), ...NO_SESSION }),
    "expired token": (s) => ({ calls: [{ label: "alice's idle-expired session", at: "ALICE_KEEP", headers: writingAs(s.sessions.aliceExpired) }], ...NO_SESSION }),
    "revoked token": (s) => ({ calls: [{ label: "alice's signed-out session", at: "ALICE_KEEP", headers: writingAs(s.sessions.aliceRevoked) }], ...NO_SESSION }),
    ...PORTAL_NOT_APPLICABLE,
  },
};
