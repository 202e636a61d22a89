// The cross-tenant matrix (SPEC §6, §11): every orchestrator, worker and portal endpoint × every kind of
// caller → the exact status and the whole body, and zero reads across users or workspaces.
//
// The cells are the table in cells.ts; the world they run in is seed.ts. Every cell's requests are fired once,
// in beforeAll, concurrently: first every read-only cell, then every cell that writes (each writing cell has
// its own job or secret name, so no two cells interfere); one test per cell judges its answers.
import {
  bearer,
  CREDENTIALS_DENIED,
  credentials,
  deleteSecret,
  expectJson,
  gatehouseAsync,
  NO_SUCH_SECRET,
  putSecret,
  rotateJobToken,
  SAME_ORIGIN,
  secretValue,
  sessionCookie,
  sql,
  startJob,
  workspaceCounts,
  type CreatedJob,
  type WorkspaceCounts,
} from "../../helpers/api-seed";
import { expect, randomIp, test } from "../../helpers/fixtures";
import { CALLERS, credentialsOf, ENDPOINTS, MATRIX, requestsOf, urlOf, writes, type Caller, type Cell, type Endpoint, type Req } from "./cells";
import { JOB_A_GRANTS, JOB_B_GRANTS, JOB_C_GRANTS, seedMatrix, type Seed } from "./seed";

// One worker seeds once and runs the cells in order (a failure restarts the worker, which seeds afresh).
test.describe.configure({ mode: "default" });

type Observed = { label: string; status: number; cacheControl: string | null; text: string };

let seed: Seed;
let cells: Map<string, Cell>;
let observed: Map<string, Observed[]>;
let countsBefore: Record<"w1" | "w2", WorkspaceCounts>;

const cellKey = (endpoint: Endpoint, caller: Caller) => `${endpoint} × ${caller}`;
const jobsUrl = urlOf("POST /api/v1/jobs");
const jobUrl = (id: string) => urlOf("GET /api/v1/jobs/{jobId}", id);
const secretsUrl = urlOf("GET /api/portal/secrets");
const secretUrl = (name: string) => urlOf("DELETE /api/portal/secrets/{name}", name);

/** Plain fetch: no cookie jar, so every request carries exactly the credentials its cell gives it. */
async function send(req: Req): Promise<Observed> {
  const headers: Record<string, string> = { "X-Forwarded-For": randomIp(), ...req.headers };
  if (req.json !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(req.url, { method: req.method, headers, body: req.json === undefined ? undefined : JSON.stringify(req.json), redirect: "manual" });
  return { label: req.label, status: res.status, cacheControl: res.headers.get("cache-control"), text: await res.text() };
}

test.beforeAll(async ({ playwright }) => {
  test.setTimeout(180_000);
  seed = await seedMatrix(playwright);
  const table: { key: string; writes: boolean; cell: Cell; requests: Req[] }[] = [];
  for (const endpoint of ENDPOINTS) {
    for (const caller of CALLERS) {
      const entry = MATRIX[endpoint][caller];
      if (typeof entry !== "function") continue;
      const cell = entry(seed);
      table.push({ key: cellKey(endpoint, caller), writes: writes(endpoint), cell, requests: requestsOf(endpoint, cell) });
    }
  }
  cells = new Map(table.map((t) => [t.key, t.cell]));
  countsBefore = { w1: await workspaceCounts(seed.w1), w2: await workspaceCounts(seed.w2) };
  observed = new Map();
  for (const phase of [false, true]) {
    await Promise.all(table.filter((t) => t.writes === phase).map(async (t) => observed.set(t.key, await Promise.all(t.requests.map(send)))));
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
    test(cellKey(endpoint, caller), () => {
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
      details: { grants: [{ index: 0, secret: "DAVE_W2_ONLY", envVar: "X", reasons: ["secret_not_found"] }], missing_secrets: ["DAVE_W2_ONLY"], missing_connections: [] },
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

test("invites: only the own cell took a use and added a member; no refused or cross-workspace redemption changed anything", async () => {
  const uses = await sql<{ workspace_id: string; uses: number }>(`SELECT workspace_id::text, uses FROM invites WHERE workspace_id = ANY($1::uuid[])`, [[seed.w1, seed.w2]]);
  expect(Object.fromEntries(uses.map((u) => [u.workspace_id, u.uses]))).toEqual({ [seed.w1]: 1, [seed.w2]: 0 });
  const joined = await sql<{ external_id: string; workspace_id: string }>(
    `SELECT p.external_id, m.workspace_id::text FROM invite_redemptions r JOIN platform_identities p ON p.user_id = r.user_id JOIN memberships m ON m.user_id = r.user_id
     WHERE r.workspace_id = ANY($1::uuid[])`,
    [[seed.w1, seed.w2]],
  );
  expect(joined).toEqual([{ external_id: seed.invites.newcomer, workspace_id: seed.w1 }]);
});
