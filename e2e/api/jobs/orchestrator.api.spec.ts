// Orchestrator and worker APIs over HTTP (SPEC §6, §10): bad input gets a clear answer and changes nothing,
// tokens of the wrong kind are refused, and rotation and completion keep their promises.
import { randomTelegramId } from "../../helpers/cli";
import {
  addMemberAsync,
  answer,
  API,
  bearer,
  completeJob,
  createWorkspaceAsync,
  credentials,
  endGraceWindow,
  expectJson,
  gatehouseAsync,
  INVALID_TOKEN,
  ISO,
  issueServiceToken,
  JOB_TOKEN,
  NO_SUCH_JOB,
  NOT_A_MEMBER,
  openPortalSession,
  putSecret,
  rotateJobToken,
  secretValue,
  settingsLinkIdAsync,
  sql,
  startJob,
  UUID,
  workspaceCounts,
  type Answer,
  type Grant,
} from "../../helpers/api-seed";
import { expect, test } from "../../helpers/fixtures";

// One worker seeds once; the tests run in order, so the "nothing was created" counts see only their own calls.
test.describe.configure({ mode: "default" });

const jobsUrl = `${API}/api/v1/jobs`;
const jobUrl = (id: string) => `${API}/api/v1/jobs/${id}`;
const credsUrl = (id: string) => `${API}/api/v1/worker/jobs/${id}/credentials`;
const rotateUrl = (id: string) => `${API}/api/v1/worker/jobs/${id}/token/rotate`;

const VALIDATION = (fields: { path: string; mentions?: string }[]) => ({
  error: {
    code: "validation_failed",
    message: "The request has invalid fields.",
    details: { fields: fields.map((f) => ({ path: f.path, message: f.mentions ? expect.stringContaining(f.mentions) : expect.any(String) })) },
  },
});
const INVALID_JSON = { error: { code: "invalid_json", message: "The request body is not valid JSON." } };
const TOO_LARGE = { error: { code: "payload_too_large", message: "The request body is too large." } };
const UNSUPPORTED_MEDIA = { error: { code: "unsupported_media_type", message: "Send a JSON body with Content-Type: application/json." } };
const ALREADY_ROTATED = { error: { code: "already_rotated", message: "This token was already rotated; use the token the rotation returned." } };
const invalidGrants = (grants: unknown[], missing: string[], extra: { message?: string; max_grants?: number } = {}) => ({
  error: {
    code: "invalid_grants",
    message: extra.message ?? "Some grants are invalid.",
    details: { grants, missing_secrets: missing, missing_connections: [], ...(extra.max_grants ? { max_grants: extra.max_grants } : {}) },
  },
});

type Seed = {
  workspaceId: string;
  svc: string;
  alice: { telegramId: string; userId: string; values: Record<string, string> };
  bobTelegramId: string;
  carolTelegramId: string;
  removedTelegramId: string;
};
let s: Seed;

test.beforeAll(async ({ playwright }) => {
  test.setTimeout(120_000);
  const aliceTg = randomTelegramId();
  const bobTg = randomTelegramId();
  const carolTg = randomTelegramId();
  const removedTg = randomTelegramId();
  const [ws] = await Promise.all([createWorkspaceAsync("Alice Orchestrator", aliceTg), createWorkspaceAsync("Carol Elsewhere", carolTg)]);
  // Membership changes first, on their own: run beside other audited writes of the same workspace they can
  // deadlock (reported to the lead; see the matrix spec's seeding).
  await Promise.all([
    addMemberAsync(ws.workspaceId, bobTg, "Bob Orchestrator"),
    addMemberAsync(ws.workspaceId, removedTg, "Removed Member").then((userId) =>
      gatehouseAsync("member", "remove", "--workspace", ws.workspaceId, "--user", userId),
    ),
  ]);
  const [svc, aliceLink, bobLink] = await Promise.all([
    issueServiceToken(ws.workspaceId),
    settingsLinkIdAsync(ws.workspaceId, aliceTg),
    settingsLinkIdAsync(ws.workspaceId, bobTg),
  ]);
  const [aliceSession, bobSession] = await Promise.all([openPortalSession(playwright, aliceLink), openPortalSession(playwright, bobLink)]);
  const values = { API_KEY: secretValue("alice", "API_KEY"), DB_PASSWORD: secretValue("alice", "DB_PASSWORD") };
  const api = await playwright.request.newContext();
  try {
    await Promise.all([
      putSecret(api, aliceSession, "API_KEY", values.API_KEY),
      putSecret(api, aliceSession, "DB_PASSWORD", values.DB_PASSWORD),
      putSecret(api, bobSession, "BOB_ONLY", secretValue("bob", "BOB_ONLY")),
    ]);
  } finally {
    await api.dispose();
  }
  s = {
    workspaceId: ws.workspaceId,
    svc: svc.token,
    alice: { telegramId: aliceTg, userId: ws.ownerUserId, values },
    bobTelegramId: bobTg,
    carolTelegramId: carolTg,
    removedTelegramId: removedTg,
  };
});

const aliceUser = () => ({ platform: "telegram", id: s.alice.telegramId });
const validBody = (grants: Grant[] = [{ secret: "API_KEY", envVar: "API_KEY" }]) => ({ user: aliceUser(), grants });

/** Runs `refused` and asserts it left no job, grant, token or job.created event behind in the workspace. */
async function expectNothingCreated(refused: () => Promise<void>) {
  const before = await workspaceCounts(s.workspaceId);
  await refused();
  expect(await workspaceCounts(s.workspaceId), "nothing was created").toEqual(before);
}

/** POST /api/v1/jobs with a raw body and Content-Type (undefined: no Content-Type header at all). */
async function rawPost(body: string, contentType: string | undefined): Promise<Answer> {
  const headers: Record<string, string> = { ...bearer(s.svc) };
  if (contentType !== undefined) headers["Content-Type"] = contentType;
  // Bytes, not a string: fetch would add "text/plain" to a string body.
  return answer(await fetch(jobsUrl, { method: "POST", headers, body: new TextEncoder().encode(body) }));
}

test("wrong types and unknown fields (top-level and nested) are 400 validation_failed naming each field; nothing is created", async () => {
  const rows: [string, unknown, { path: string; mentions?: string }[]][] = [
    ["user is a string", { user: "alice" }, [{ path: "user" }]],
    ["user is missing", { grants: [] }, [{ path: "user" }]],
    ["user.id is a number", { user: { platform: "telegram", id: 123 } }, [{ path: "user.id" }]],
    ["user.platform is null", { user: { platform: null, id: "1" } }, [{ path: "user.platform" }]],
    ["ttlSeconds is a string", { ...validBody(), ttlSeconds: "600" }, [{ path: "ttlSeconds" }]],
    ["ttlSeconds is a fraction", { ...validBody(), ttlSeconds: 600.5 }, [{ path: "ttlSeconds" }]],
    ["grants is an object", { user: aliceUser(), grants: { secret: "API_KEY", envVar: "API_KEY" } }, [{ path: "grants" }]],
    ["a grant is a string", { user: aliceUser(), grants: ["API_KEY"] }, [{ path: "grants.0" }]],
    ["grant.secret is a number", { user: aliceUser(), grants: [{ secret: 1, envVar: "API_KEY" }] }, [{ path: "grants.0.secret" }]],
    ["grant.envVar is missing", { user: aliceUser(), grants: [{ secret: "API_KEY" }] }, [{ path: "grants.0.envVar" }]],
    ["delivery is a string", { ...validBody(), delivery: "telegram" }, [{ path: "delivery" }]],
    ["delivery.platform is unknown", { ...validBody(), delivery: { platform: "irc", chatId: "1" } }, [{ path: "delivery.platform" }]],
    ["delivery.chatId is a number", { ...validBody(), delivery: { platform: "telegram", chatId: 42 } }, [{ path: "delivery.chatId" }]],
    ["delivery.chatId is empty", { ...validBody(), delivery: { platform: "telegram", chatId: "" } }, [{ path: "delivery.chatId" }]],
    ["two wrong fields", { user: 1, ttlSeconds: "x" }, [{ path: "user" }, { path: "ttlSeconds" }]],
    ["the body is an array", [validBody()], [{ path: "(body)" }]],
    ["the body is null", null, [{ path: "(body)" }]],
    ["the body is a number", 42, [{ path: "(body)" }]],
    // Unknown fields are refused, not ignored: none of them may steer who owns the job or what it reads.
    ["unknown top-level field", { ...validBody(), ownerUserId: "00000000-0000-4000-8000-000000000000" }, [{ path: "(body)", mentions: "ownerUserId" }]],
    ["unknown field in user", { user: { ...aliceUser(), workspace: "other" }, grants: [] }, [{ path: "user", mentions: "workspace" }]],
    ["unknown field in a grant", { user: aliceUser(), grants: [{ secret: "API_KEY", envVar: "API_KEY", value: "x" }] }, [{ path: "grants.0", mentions: "value" }]],
    ["unknown field in delivery", { ...validBody(), delivery: { platform: "telegram", chatId: "1", url: "https://x" } }, [{ path: "delivery", mentions: "url" }]],
  ];
  await expectNothingCreated(async () => {
    const answers = await Promise.all(rows.map(([, body]) => rawPost(JSON.stringify(body), "application/json")));
    for (const [i, [label, , fields]] of rows.entries()) await expectJson(answers[i]!, 400, VALIDATION(fields), label);

    // A platform identity that is not one: its own clear message.
    const identities: [string, unknown, string][] = [
      ["unknown platform", { user: { platform: "irc", id: "1" } }, 'Unknown platform "irc"; use one of telegram, slack.'],
      ["non-numeric telegram id", { user: { platform: "telegram", id: "abc" } }, "A telegram id must be a numeric Telegram user id."],
    ];
    for (const [label, body, message] of identities) {
      await expectJson(await rawPost(JSON.stringify(body), "application/json"), 400, { error: { code: "validation_failed", message } }, label);
    }
  });
});

test("oversized bodies are 413, bad JSON 400 invalid_json, other content types 415; nothing is created", async () => {
  const padded = (size: number) => {
    const head = JSON.stringify({ user: aliceUser(), pad: "" }).slice(0, -2);
    return `${head}${"x".repeat(size - head.length - 2)}"}`;
  };
  expect(padded(64 * 1024 + 1)).toHaveLength(64 * 1024 + 1);
  await expectNothingCreated(async () => {
    await expectJson(await rawPost(padded(64 * 1024 + 1), "application/json"), 413, TOO_LARGE, "64 KiB + 1");
    await expectJson(await rawPost(padded(1024 * 1024), "application/json"), 413, TOO_LARGE, "1 MiB");
    // Exactly 64 KiB is read and parsed (then refused for its unknown field).
    await expectJson(await rawPost(padded(64 * 1024), "application/json"), 400, VALIDATION([{ path: "(body)", mentions: "pad" }]), "64 KiB");
    // A streamed body with no Content-Length is cut off at the limit too.
    const chunk = new TextEncoder().encode(padded(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await fetch(jobsUrl, {
      method: "POST",
      headers: { ...bearer(s.svc), "Content-Type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await expectJson(await answer(streamed), 413, TOO_LARGE, "streamed 128 KiB");

    for (const bad of ["{", '{"user":', "", "not json", "{'user': 1}", `${JSON.stringify(validBody())} trailing`, "\u0000"]) {
      await expectJson(await rawPost(bad, "application/json"), 400, INVALID_JSON, JSON.stringify(bad));
    }
    const json = JSON.stringify(validBody());
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json", "application/jsonx", undefined]) {
      await expectJson(await rawPost(json, type), 415, UNSUPPORTED_MEDIA, String(type));
    }
  });
  // The media type is compared case-insensitively and may carry parameters.
  const ok = await rawPost(JSON.stringify(validBody()), "Application/JSON; charset=UTF-8");
  expect(ok.status(), await ok.text()).toBe(201);
});

test("ttlSeconds outside 60..86400 is 400; the bounds and the default are honoured exactly", async ({ request }) => {
  await expectNothingCreated(async () => {
    for (const ttlSeconds of [59, 86401, 0, -60, 1e12]) {
      const res = await request.post(jobsUrl, { headers: bearer(s.svc), data: { ...validBody(), ttlSeconds } });
      await expectJson(res, 400, VALIDATION([{ path: "ttlSeconds" }]), `ttl ${ttlSeconds}`);
    }
  });
  for (const ttlSeconds of [60, 86400, undefined]) {
    const before = Date.now();
    const job = await startJob(request, s.svc, { ...validBody(), ...(ttlSeconds ? { ttlSeconds } : {}) });
    const after = Date.now();
    const lifetime = (ttlSeconds ?? 3600) * 1000;
    const expires = Date.parse(job.expiresAt);
    expect(expires, `ttl ${ttlSeconds}`).toBeGreaterThanOrEqual(before + lifetime - 1000);
    expect(expires, `ttl ${ttlSeconds}`).toBeLessThanOrEqual(after + lifetime + 1000);
    const view = await request.get(jobUrl(job.jobId), { headers: bearer(s.svc) });
    expect(((await view.json()) as { expiresAt: string }).expiresAt).toBe(job.expiresAt);
  }
});

test("bad job ids are 404 not_found on the orchestrator API and 401 on the worker API; nothing changes", async ({ request }) => {
  const job = await startJob(request, s.svc, validBody());
  const ids = [
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "6f1c1f4e-9a51-4a5e-8f0e-3f3c9a1b2c3d",
    `${job.jobId}x`,
    job.jobId.slice(0, -1),
    job.jobId.replaceAll("-", ""),
    encodeURIComponent("' OR '1'='1"),
    "%00",
    "x".repeat(2000),
  ];
  await expectNothingCreated(async () => {
    for (const id of ids) {
      await expectJson(await request.get(jobUrl(id), { headers: bearer(s.svc) }), 404, NO_SUCH_JOB, `GET ${id.slice(0, 40)}`);
      await expectJson(await request.post(`${jobUrl(id)}/complete`, { headers: bearer(s.svc) }), 404, NO_SUCH_JOB, `complete ${id.slice(0, 40)}`);
      // The job's own, live token is no key to any other id.
      await expectJson(await request.get(credsUrl(id), { headers: bearer(job.token) }), 401, INVALID_TOKEN, `credentials ${id.slice(0, 40)}`);
      await expectJson(await request.post(rotateUrl(id), { headers: bearer(job.token) }), 401, INVALID_TOKEN, `rotate ${id.slice(0, 40)}`);
    }
  });
  const view = await request.get(jobUrl(job.jobId), { headers: bearer(s.svc) });
  expect(await view.json()).toMatchObject({ jobId: job.jobId, status: "running" });
  const creds = await credentials(request, job);
  expect(await creds.json()).toEqual([{ env_var: "API_KEY", value: s.alice.values.API_KEY }]);
});

test("a job token on the orchestrator API and a service token on the worker API are 401 invalid_token; nothing changes", async ({ request }) => {
  const job = await startJob(request, s.svc, validBody());
  await expectNothingCreated(async () => {
    await expectJson(await request.post(jobsUrl, { headers: bearer(job.token), data: validBody() }), 401, INVALID_TOKEN, "job token creates a job");
    await expectJson(await request.get(jobUrl(job.jobId), { headers: bearer(job.token) }), 401, INVALID_TOKEN, "job token reads its job");
    await expectJson(await request.post(`${jobUrl(job.jobId)}/complete`, { headers: bearer(job.token) }), 401, INVALID_TOKEN, "job token completes its job");
    await expectJson(await request.get(credsUrl(job.jobId), { headers: bearer(s.svc) }), 401, INVALID_TOKEN, "service token reads credentials");
    await expectJson(await request.post(rotateUrl(job.jobId), { headers: bearer(s.svc) }), 401, INVALID_TOKEN, "service token rotates");
  });
  const view = await request.get(jobUrl(job.jobId), { headers: bearer(s.svc) });
  expect(await view.json()).toMatchObject({ status: "running" });
  const [token] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM tokens WHERE job_id = $1 AND grace_until IS NULL AND revoked_at IS NULL", [job.jobId]);
  expect(token!.n, "the job still has its one, unrotated token").toBe(1);
});

test("a user who is not a member is 403 not_a_member, before any grant is looked at; nothing is created", async ({ request }) => {
  const grantsOfAlice = [{ secret: "API_KEY", envVar: "API_KEY" }];
  const users: [string, { platform: string; id: string }][] = [
    ["unknown telegram user", { platform: "telegram", id: randomTelegramId() }],
    ["member of another workspace", { platform: "telegram", id: s.carolTelegramId }],
    ["removed member", { platform: "telegram", id: s.removedTelegramId }],
    ["unknown slack user", { platform: "slack", id: "T0123ABCD:U0456EFGH" }],
  ];
  await expectNothingCreated(async () => {
    for (const [label, user] of users) {
      await expectJson(await request.post(jobsUrl, { headers: bearer(s.svc), data: { user } }), 403, NOT_A_MEMBER, label);
      // Grants naming the workspace's secrets (alice's) do not change the answer or reveal which exist.
      await expectJson(await request.post(jobsUrl, { headers: bearer(s.svc), data: { user, grants: grantsOfAlice } }), 403, NOT_A_MEMBER, `${label} + grants`);
      await expectJson(
        await request.post(jobsUrl, { headers: bearer(s.svc), data: { user, grants: [{ secret: "NOPE", envVar: "PATH" }] } }),
        403,
        NOT_A_MEMBER,
        `${label} + bad grants`,
      );
    }
  });
});

test("invalid grants are 422 invalid_grants with a reason per grant and the missing secrets; nothing is created", async ({ request }) => {
  const g = (secret: string, envVar: string) => ({ secret, envVar });
  const problem = (index: number, secret: string, envVar: string, ...reasons: string[]) => ({ index, secret, envVar, reasons });
  const rows: [string, Grant[], unknown][] = [
    ["lower-case env var", [g("API_KEY", "api_key")], invalidGrants([problem(0, "API_KEY", "api_key", "invalid_env_var")], [])],
    ["env var starting with a digit", [g("API_KEY", "1KEY")], invalidGrants([problem(0, "API_KEY", "1KEY", "invalid_env_var")], [])],
    ["empty env var", [g("API_KEY", "")], invalidGrants([problem(0, "API_KEY", "", "invalid_env_var")], [])],
    ["env var with a dash", [g("API_KEY", "API-KEY")], invalidGrants([problem(0, "API_KEY", "API-KEY", "invalid_env_var")], [])],
    ["env var of 129 characters", [g("API_KEY", `A${"B".repeat(128)}`)], invalidGrants([problem(0, "API_KEY", `A${"B".repeat(128)}`, "invalid_env_var")], [])],
    ...["PATH", "LD_PRELOAD", "NODE_OPTIONS", "HOME", "LD_LIBRARY_PATH", "PYTHONPATH", "SHELL", "USER"].map(
      (v): [string, Grant[], unknown] => [`denied ${v}`, [g("API_KEY", v)], invalidGrants([problem(0, "API_KEY", v, "env_var_not_allowed")], [])],
    ),
    [
      "duplicate env var",
      [g("API_KEY", "TOKEN"), g("DB_PASSWORD", "TOKEN")],
      invalidGrants([problem(1, "DB_PASSWORD", "TOKEN", "duplicate_env_var")], []),
    ],
    ["secret not found", [g("API_KEY", "API_KEY"), g("NOPE", "NOPE")], invalidGrants([problem(1, "NOPE", "NOPE", "secret_not_found")], ["NOPE"])],
    // bob has BOB_ONLY; a job for alice cannot be granted it.
    ["another member's secret", [g("BOB_ONLY", "BOB_ONLY")], invalidGrants([problem(0, "BOB_ONLY", "BOB_ONLY", "secret_not_found")], ["BOB_ONLY"])],
    [
      "one missing secret granted twice",
      [g("NOPE", "A"), g("NOPE", "B")],
      invalidGrants([problem(0, "NOPE", "A", "secret_not_found"), problem(1, "NOPE", "B", "secret_not_found")], ["NOPE"]),
    ],
    ["invalid secret name", [g("1bad", "X")], invalidGrants([problem(0, "1bad", "X", "invalid_secret_name")], [])],
    [
      "several problems at once",
      [g("API_KEY", "PATH"), g("NOPE", "X"), g("DB_PASSWORD", "X"), g("API_KEY", "OK_VAR")],
      invalidGrants(
        [problem(0, "API_KEY", "PATH", "env_var_not_allowed"), problem(1, "NOPE", "X", "secret_not_found"), problem(2, "DB_PASSWORD", "X", "duplicate_env_var")],
        ["NOPE"],
      ),
    ],
    [
      "21 grants",
      Array.from({ length: 21 }, (_, i) => g("API_KEY", `VAR_${i}`)),
      invalidGrants([], [], { message: "A job may have at most 20 grants.", max_grants: 20 }),
    ],
  ];
  await expectNothingCreated(async () => {
    const answers = await Promise.all(rows.map(([, grants]) => request.post(jobsUrl, { headers: bearer(s.svc), data: validBody(grants) })));
    for (const [i, [label, , body]] of rows.entries()) await expectJson(answers[i]!, 422, body, label);
  });
  // Exactly 20 grants is allowed, and the job reads exactly them.
  const twenty = Array.from({ length: 20 }, (_, i) => g(i % 2 ? "API_KEY" : "DB_PASSWORD", `VAR_${String(i).padStart(2, "0")}`));
  const job = await startJob(request, s.svc, validBody(twenty));
  const creds = (await (await credentials(request, job)).json()) as { env_var: string; value: string }[];
  expect(creds.map((c) => c.env_var).sort()).toEqual(twenty.map((x) => x.envVar).sort());
  for (const c of creds) expect(c.value).toBe(s.alice.values[Number(c.env_var.slice(4)) % 2 ? "API_KEY" : "DB_PASSWORD"]);
});

test("rotation never extends the expiry; the old token works only in its grace window and cannot rotate again", async ({ request }) => {
  const job = await startJob(request, s.svc, { ...validBody(), ttlSeconds: 600 });
  const before = Date.now();
  const first = await rotateJobToken(request, job);
  const after = Date.now();
  expect(first).toEqual({ token: expect.stringMatching(JOB_TOKEN), expiresAt: job.expiresAt, previousTokenValidUntil: expect.stringMatching(ISO) });
  const grace = Date.parse(first.previousTokenValidUntil);
  expect(grace).toBeGreaterThanOrEqual(before + 30_000 - 1000);
  expect(grace).toBeLessThanOrEqual(after + 30_000 + 1000);

  // In the grace window both tokens read the credentials; the old one cannot rotate a second time.
  const expected = [{ env_var: "API_KEY", value: s.alice.values.API_KEY }];
  expect(await (await credentials(request, job)).json()).toEqual(expected);
  expect(await (await credentials(request, { jobId: job.jobId, token: first.token })).json()).toEqual(expected);
  await expectNothingCreated(async () => {
    await expectJson(await request.post(rotateUrl(job.jobId), { headers: bearer(job.token) }), 409, ALREADY_ROTATED, "rotating a rotated token");
  });

  // The new token rotates in turn, still to the same expiry.
  const second = await rotateJobToken(request, { jobId: job.jobId, token: first.token });
  expect(second.expiresAt).toBe(job.expiresAt);
  const view = await request.get(jobUrl(job.jobId), { headers: bearer(s.svc) });
  expect(((await view.json()) as { expiresAt: string }).expiresAt).toBe(job.expiresAt);
  const rows = await sql<{ expires_at: Date }>("SELECT expires_at FROM tokens WHERE job_id = $1", [job.jobId]);
  expect(rows.map((r) => r.expires_at.toISOString())).toEqual([job.expiresAt, job.expiresAt, job.expiresAt]);

  // After its grace window the old token is refused everywhere.
  await endGraceWindow(job.token);
  await expectJson(await credentials(request, job), 401, INVALID_TOKEN, "old token after grace");
  await expectJson(await request.post(rotateUrl(job.jobId), { headers: bearer(job.token) }), 401, INVALID_TOKEN, "old token rotating after grace");
  expect(await (await credentials(request, { jobId: job.jobId, token: second.token })).json()).toEqual(expected);
});

test("concurrent rotations of one token: exactly one 200, the rest 409, and only one new token exists", async ({ request }) => {
  const jobs = await Promise.all(Array.from({ length: 6 }, () => startJob(request, s.svc, validBody())));
  // Five jobs rotated by two requests at once, one job by ten at once.
  const fanout = jobs.map((_, i) => (i === 5 ? 10 : 2));
  const answers = await Promise.all(
    jobs.map((job, i) => Promise.all(Array.from({ length: fanout[i]! }, () => request.post(rotateUrl(job.jobId), { headers: bearer(job.token) })))),
  );
  for (const [i, job] of jobs.entries()) {
    const statuses = answers[i]!.map((r) => r.status()).sort();
    expect(statuses, `job ${i}`).toEqual([200, ...Array<number>(fanout[i]! - 1).fill(409)]);
    for (const loser of answers[i]!.filter((r) => r.status() === 409)) await expectJson(loser, 409, ALREADY_ROTATED);
    const winner = (await answers[i]!.find((r) => r.status() === 200)!.json()) as { token: string; expiresAt: string };
    expect(winner.expiresAt).toBe(job.expiresAt);
    const [count] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM tokens WHERE job_id = $1", [job.jobId]);
    expect(count!.n, `job ${i}: the original and one replacement`).toBe(2);
    expect((await credentials(request, { jobId: job.jobId, token: winner.token })).status()).toBe(200);
  }
});

test("a completed job's tokens are 401 on both worker endpoints, and completing again answers the same", async ({ request }) => {
  const job = await startJob(request, s.svc, { ...validBody(), delivery: { platform: "telegram", chatId: s.alice.telegramId } });
  const rotated = await rotateJobToken(request, job);
  const completed = await completeJob(request, s.svc, job.jobId);
  expect(completed).toEqual({
    jobId: job.jobId,
    status: "completed",
    ownerUserId: s.alice.userId,
    createdAt: expect.stringMatching(ISO),
    expiresAt: job.expiresAt,
    endedAt: expect.stringMatching(ISO),
    delivery: { platform: "telegram", chatId: s.alice.telegramId, threadId: null },
    grants: [{ secret: "API_KEY", envVar: "API_KEY" }],
  });
  expect(completed.jobId).toMatch(UUID);
  // Both the token in its grace window and its replacement stop at once.
  for (const token of [job.token, rotated.token]) {
    await expectJson(await credentials(request, { jobId: job.jobId, token }), 401, INVALID_TOKEN, "credentials after completion");
    await expectJson(await request.post(rotateUrl(job.jobId), { headers: bearer(token) }), 401, INVALID_TOKEN, "rotate after completion");
  }
  const again = await Promise.all([completeJob(request, s.svc, job.jobId), completeJob(request, s.svc, job.jobId)]);
  expect(again).toEqual([completed, completed]);
  const view = await request.get(jobUrl(job.jobId), { headers: bearer(s.svc) });
  expect(await view.json()).toEqual(completed);
  const [events] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE target = $1 AND action = 'job.completed'", [`job:${job.jobId}`]);
  expect(events!.n, "only the first completion is audited").toBe(1);
});

test("a rotation racing a completion leaves no token of the job alive", async ({ request }) => {
  const jobs = await Promise.all(Array.from({ length: 12 }, () => startJob(request, s.svc, validBody())));
  const raced = await Promise.all(
    jobs.map((job) => Promise.all([request.post(rotateUrl(job.jobId), { headers: bearer(job.token) }), request.post(`${jobUrl(job.jobId)}/complete`, { headers: bearer(s.svc) })])),
  );
  for (const [i, [rotation, completion]] of raced.entries()) {
    const job = jobs[i]!;
    expect(completion.status(), `job ${i} completes`).toBe(200);
    expect(((await completion.json()) as { status: string }).status).toBe("completed");
    // The rotation either lost (the token was already revoked) or won before the completion revoked both.
    expect([200, 401], `job ${i} rotation`).toContain(rotation.status());
    const tokens = [job.token, ...(rotation.status() === 200 ? [((await rotation.json()) as { token: string }).token] : [])];
    for (const token of tokens) {
      await expectJson(await credentials(request, { jobId: job.jobId, token }), 401, INVALID_TOKEN, `job ${i} credentials after completion`);
      await expectJson(await request.post(rotateUrl(job.jobId), { headers: bearer(token) }), 401, INVALID_TOKEN, `job ${i} rotate after completion`);
    }
  }
  const [live] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM tokens WHERE job_id = ANY($1::uuid[]) AND revoked_at IS NULL", [jobs.map((j) => j.jobId)]);
  expect(live!.n, "live tokens of completed jobs").toBe(0);
});
