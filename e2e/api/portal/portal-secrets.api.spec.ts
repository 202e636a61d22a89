// The portal secrets API and the Secrets/Agent access form posts over HTTP: exact bodies, same-origin checks,
// limits, and one user's secrets never reachable by another.
import type { APIRequestContext, APIResponse } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { createWorkspace, gatehouse, randomTelegramId } from "../../helpers/cli";
import { E2E_PLAIN_BASE_URL } from "../../helpers/env";
import { expect, test } from "../../helpers/fixtures";
import { fetchCredentials, portalClient, SAME_ORIGIN, startJob, type Member } from "../../helpers/portal-session";

test.use({ baseURL: E2E_PLAIN_BASE_URL });

const EVIL = { Origin: "https://evil.example" };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const secretName = (prefix = "key") => `${prefix}-${randomBytes(4).toString("hex")}`;
const secretValue = () => `sk-test-${randomBytes(16).toString("hex")}`;

function owner(): Member {
  const ws = createWorkspace();
  return { workspaceId: ws.workspaceId, telegramId: ws.ownerTelegramId };
}

const put = (ctx: APIRequestContext, name: string, body: unknown, headers: Record<string, string> = SAME_ORIGIN) =>
  ctx.put(`/api/portal/secrets/${encodeURIComponent(name)}`, { data: body, headers });
const del = (ctx: APIRequestContext, name: string, headers: Record<string, string> = SAME_ORIGIN) =>
  ctx.delete(`/api/portal/secrets/${encodeURIComponent(name)}`, { headers });

async function list(ctx: APIRequestContext) {
  const res = await ctx.get("/api/portal/secrets");
  expect(res.status()).toBe(200);
  expect(res.headers()["cache-control"]).toBe("no-store");
  return (await res.json()) as { name: string; createdAt: string; updatedAt: string; lastUsedAt: string | null }[];
}

async function expectError(res: APIResponse, status: number, error: Record<string, unknown>) {
  expect(res.status()).toBe(status);
  expect(res.headers()["cache-control"]).toBe("no-store");
  expect(await res.json()).toEqual({ error });
}

test("PUT creates (201) then replaces (200); GET lists names and times only; DELETE is 204 then 404", async ({ playwright }) => {
  const ctx = await portalClient(playwright, owner());
  const name = secretName();
  const [first, second] = [secretValue(), secretValue()];

  const created = await put(ctx, name, { value: first });
  expect(created.status()).toBe(201);
  expect(created.headers()["cache-control"]).toBe("no-store");
  expect(await created.json()).toEqual({ name, created: true });

  const replaced = await put(ctx, name, { value: second });
  expect(replaced.status()).toBe(200);
  expect(replaced.headers()["cache-control"]).toBe("no-store");
  expect(await replaced.json()).toEqual({ name, created: false });

  const res = await ctx.get("/api/portal/secrets");
  const text = await res.text();
  expect(text).not.toContain(first);
  expect(text).not.toContain(second);
  expect(text).not.toMatch(/"value"|ciphertext/i);
  const listed = JSON.parse(text) as Record<string, unknown>[];
  expect(listed).toHaveLength(1);
  expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "lastUsedAt", "name", "updatedAt"]);
  expect(listed[0]).toEqual({ name, createdAt: expect.stringMatching(ISO), updatedAt: expect.stringMatching(ISO), lastUsedAt: null });
  expect(Date.parse(listed[0]!.updatedAt as string)).toBeGreaterThan(Date.parse(listed[0]!.createdAt as string));

  const deleted = await del(ctx, name);
  expect(deleted.status()).toBe(204);
  expect(deleted.headers()["cache-control"]).toBe("no-store");
  expect(await deleted.body()).toHaveLength(0);
  await expectError(await del(ctx, name), 404, { code: "not_found", message: "You have no secret with that name." });
  expect(await list(ctx)).toEqual([]);
});

test("a value of exactly 16 KiB is accepted, multi-byte text is measured in bytes, and the job gets it back unchanged", async ({ playwright, request }) => {
  const member = owner();
  const ctx = await portalClient(playwright, member);
  const exact = "x".repeat(16 * 1024);
  expect((await put(ctx, "exact", { value: exact })).status()).toBe(201);
  // 5462 three-byte characters are 16386 bytes but only 5462 UTF-16 units.
  await expectError(await put(ctx, "multibyte", { value: "€".repeat(5462) }), 400, {
    code: "validation_failed",
    message: "The value must be at most 16 KiB.",
  });
  const job = await startJob(request, member, [{ secret: "exact", envVar: "EXACT_VALUE" }]);
  expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "EXACT_VALUE", value: exact }] });
});

test("without a session every method is 401 with the same body", async ({ request }) => {
  const unauthorized = { code: "unauthorized", message: "Your portal session has ended. Open the settings link from your chat again." };
  await expectError(await request.get("/api/portal/secrets"), 401, unauthorized);
  await expectError(await put(request, "anything", { value: "v" }), 401, unauthorized);
  await expectError(await del(request, "anything"), 401, unauthorized);
  // A cookie that names no session is the same as none.
  const forged = { ...SAME_ORIGIN, Cookie: `gh_session=${randomBytes(32).toString("base64url")}` };
  await expectError(await request.get("/api/portal/secrets", { headers: forged }), 401, unauthorized);
  await expectError(await put(request, "anything", { value: "v" }, forged), 401, unauthorized);
});

test("cross-origin or origin-less PUT and DELETE are 403 cross_origin and change nothing", async ({ playwright, request }) => {
  const member = owner();
  const ctx = await portalClient(playwright, member);
  const name = secretName();
  const original = secretValue();
  expect((await put(ctx, name, { value: original })).status()).toBe(201);
  const before = await list(ctx);

  const crossOrigin = { code: "cross_origin", message: "Cross-origin requests are not allowed." };
  for (const headers of [EVIL, { Origin: "null" }, { Origin: E2E_PLAIN_BASE_URL.replace("localhost", "127.0.0.1") }, {}]) {
    await expectError(await put(ctx, name, { value: "overwritten" }, headers), 403, crossOrigin);
    await expectError(await put(ctx, secretName("new"), { value: "planted" }, headers), 403, crossOrigin);
    await expectError(await del(ctx, name, headers), 403, crossOrigin);
  }
  expect(await list(ctx)).toEqual(before);
  // The stored value is still the original one: a job granted it reads it back.
  const job = await startJob(request, member, [{ secret: name, envVar: "API_KEY" }]);
  expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "API_KEY", value: original }] });
});

test("malformed requests get exact 400/413/415 bodies and store nothing", async ({ playwright }) => {
  const ctx = await portalClient(playwright, owner());
  const nameRule = "A secret name starts with a letter and has at most 64 letters, digits, '_', '.' or '-'.";
  const cases: { what: string; send: () => Promise<APIResponse>; status: number; error: Record<string, unknown> }[] = [
    ...["1starts-with-digit", "has space", "a".repeat(65), "semi;colon", "ünïcode", "-dash"].map((name) => ({
      what: `bad name ${JSON.stringify(name)}`,
      send: () => put(ctx, name, { value: "v" }),
      status: 400,
      error: { code: "validation_failed", message: nameRule },
    })),
    {
      what: "empty value",
      send: () => put(ctx, "ok-name", { value: "" }),
      status: 400,
      error: { code: "validation_failed", message: "The value must be a non-empty string." },
    },
    {
      what: "value over 16 KiB",
      send: () => put(ctx, "ok-name", { value: "x".repeat(16 * 1024 + 1) }),
      status: 400,
      error: { code: "validation_failed", message: "The value must be at most 16 KiB." },
    },
    {
      what: "body over 64 KiB",
      send: () => put(ctx, "ok-name", { value: "x".repeat(64 * 1024) }),
      status: 413,
      error: { code: "payload_too_large", message: "The request body is too large." },
    },
    {
      what: "bad JSON",
      send: () => ctx.put("/api/portal/secrets/ok-name", { data: Buffer.from('{"value": "v"'), headers: { ...SAME_ORIGIN, "Content-Type": "application/json" } }),
      status: 400,
      error: { code: "invalid_json", message: "The request body is not valid JSON." },
    },
    {
      what: "unknown field",
      send: () => put(ctx, "ok-name", { value: "v", owner: "someone-else" }),
      status: 400,
      error: { code: "validation_failed", message: "The request has invalid fields.", details: { fields: [{ path: "(body)", message: "Unknown field(s): owner" }] } },
    },
    {
      what: "value not a string",
      send: () => put(ctx, "ok-name", { value: 42 }),
      status: 400,
      error: {
        code: "validation_failed",
        message: "The request has invalid fields.",
        details: { fields: [{ path: "value", message: "Invalid input: expected string, received number" }] },
      },
    },
    {
      what: "wrong content type",
      send: () => ctx.put("/api/portal/secrets/ok-name", { form: { value: "v" }, headers: SAME_ORIGIN }),
      status: 415,
      error: { code: "unsupported_media_type", message: "Send a JSON body with Content-Type: application/json." },
    },
  ];
  for (const c of cases) {
    const res = await c.send();
    expect(res.status(), c.what).toBe(c.status);
    expect(res.headers()["cache-control"], c.what).toBe("no-store");
    expect(await res.json(), c.what).toEqual({ error: c.error });
  }
  expect(await list(ctx)).toEqual([]);
});

test("two members with a secret of the same name each see, change and delete only their own", async ({ playwright, request }) => {
  const alice = owner();
  const bobId = randomTelegramId();
  gatehouse("member", "add", "--workspace", alice.workspaceId, "--platform", "telegram", "--id", bobId, "--name", "Bob");
  const bob: Member = { workspaceId: alice.workspaceId, telegramId: bobId };
  const [a, b] = [await portalClient(playwright, alice), await portalClient(playwright, bob)];
  const shared = secretName("shared");
  const aliceOnly = secretName("alice");
  const [aliceValue, bobValue] = [secretValue(), secretValue()];

  expect((await put(a, shared, { value: aliceValue })).status()).toBe(201);
  expect((await put(a, aliceOnly, { value: aliceValue })).status()).toBe(201);
  // Bob's first write of the same name creates his own secret; it does not replace Alice's.
  expect((await put(b, shared, { value: bobValue })).status()).toBe(201);

  expect((await list(a)).map((s) => s.name)).toEqual([aliceOnly, shared].sort());
  expect((await list(b)).map((s) => s.name)).toEqual([shared]);

  await expectError(await del(b, aliceOnly), 404, { code: "not_found", message: "You have no secret with that name." });
  expect((await list(a)).map((s) => s.name)).toContain(aliceOnly);

  const aliceJob = await startJob(request, alice, [{ secret: shared, envVar: "SHARED" }]);
  const bobJob = await startJob(request, bob, [{ secret: shared, envVar: "SHARED" }]);
  expect(await fetchCredentials(request, aliceJob)).toEqual({ status: 200, body: [{ env_var: "SHARED", value: aliceValue }] });
  expect(await fetchCredentials(request, bobJob)).toEqual({ status: 200, body: [{ env_var: "SHARED", value: bobValue }] });

  expect((await del(b, shared)).status()).toBe(204);
  expect((await list(b)).map((s) => s.name)).toEqual([]);
  expect((await list(a)).map((s) => s.name)).toEqual([aliceOnly, shared].sort());
  expect(await fetchCredentials(request, aliceJob)).toEqual({ status: 200, body: [{ env_var: "SHARED", value: aliceValue }] });
  expect((await fetchCredentials(request, bobJob)).status).toBe(403);

  // Another workspace's owner sees none of it either.
  expect(await list(await portalClient(playwright, owner()))).toEqual([]);
});

test.describe("form posts of the Secrets and Agent access pages", () => {
  const post = (ctx: APIRequestContext, path: string, form: Record<string, string>, headers: Record<string, string> = SAME_ORIGIN) =>
    ctx.post(path, { form, headers, maxRedirects: 0 });

  test("save, replace and delete answer 303 with a fixed flag, and never put a value in the Location", async ({ playwright, request }) => {
    const member = owner();
    const ctx = await portalClient(playwright, member);
    const name = secretName();
    const value = secretValue();

    const saved = await post(ctx, "/settings/secrets/save", { intent: "create", name, value });
    expect(saved.status()).toBe(303);
    expect(saved.headers()["location"]).toBe(`/settings/secrets?saved=${name}`);
    expect(saved.headers()["cache-control"]).toBe("no-store");
    expect(saved.headers()["set-cookie"]).toMatch(/^gh_typed_name=; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=0/);

    const cases: { form: Record<string, string>; location: string; unread?: true }[] = [
      { form: { intent: "create", name, value }, location: "/settings/secrets?error=exists&form=create#add" },
      { form: { intent: "create", name: value.replace("sk-test-", "9"), value }, location: "/settings/secrets?error=invalid_name&form=create#add" },
      { form: { intent: "create", name: `${value}!`, value }, location: "/settings/secrets?error=invalid_name&form=create#add" },
      { form: { intent: "create", name: secretName(), value: "" }, location: "/settings/secrets?error=empty_value&form=create#add" },
      { form: { intent: "create", name: secretName(), value: "y".repeat(16 * 1024 + 1) }, location: "/settings/secrets?error=value_too_large&form=create#add" },
      // Too large a body is refused unread, so there is no name to keep.
      { form: { intent: "create", name: secretName(), value: "\u{1F512}".repeat(20_000) }, location: "/settings/secrets?error=value_too_large&form=create#add", unread: true },
      { form: { intent: "replace", name, value: "" }, location: `/settings/secrets?name=${name}&error=empty_value&form=replace#secret-${name}` },
    ];
    for (const c of cases) {
      const res = await post(ctx, "/settings/secrets/save", c.form);
      expect(res.status(), JSON.stringify(c.form).slice(0, 80)).toBe(303);
      expect(res.headers()["location"]).toBe(c.location);
      // What was typed into Add's Name travels back in a short-lived cookie for the Secrets pages only, never the value.
      const setCookie = res.headers()["set-cookie"] ?? "";
      if (c.form.value && !c.form.name!.includes(c.form.value)) expect(setCookie).not.toContain(encodeURIComponent(c.form.value).slice(0, 24));
      if (c.unread) {
        expect(setCookie).toMatch(/^gh_typed_name=; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=0/);
      } else if (c.form.intent === "create") {
        // The typed name, bound to this session by a MAC (lib/auth/cookies.ts), and never the value.
        expect(setCookie).toContain(`gh_typed_name=${Buffer.from(c.form.name!).toString("base64url")}.`);
        expect(setCookie).toMatch(/; Path=\/settings\/secrets; HttpOnly; SameSite=Lax; Max-Age=300$/);
      } else {
        expect(setCookie).toBe("");
      }
    }
    expect((await list(ctx)).map((s) => s.name)).toEqual([name]);

    const replacement = `line one\r\nline two`;
    const replaced = await post(ctx, "/settings/secrets/save", { intent: "replace", name, value: replacement });
    expect(replaced.headers()["location"]).toBe(`/settings/secrets?saved=${name}`);
    const job = await startJob(request, member, [{ secret: name, envVar: "MULTI_LINE" }]);
    // A textarea submits line breaks as CRLF; they are stored as typed, with LF.
    expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "MULTI_LINE", value: "line one\nline two" }] });

    const page = await ctx.get("/settings/secrets");
    expect(page.status()).toBe(200);
    expect(page.headers()["cache-control"]).toContain("no-store");
    const html = await page.text();
    expect(html).toContain(name);
    expect(html).not.toContain(value);
    expect(html).not.toContain("line two");

    const deleted = await post(ctx, "/settings/secrets/delete", { name });
    expect(deleted.headers()["location"]).toBe(`/settings/secrets?deleted=${name}`);
    const again = await post(ctx, "/settings/secrets/delete", { name });
    expect(again.headers()["location"]).toBe("/settings/secrets?error=not_found");
    expect(await list(ctx)).toEqual([]);
  });

  test("cross-origin or session-less form posts are refused and change nothing", async ({ playwright, request }) => {
    const member = owner();
    const ctx = await portalClient(playwright, member);
    const name = secretName();
    expect((await put(ctx, name, { value: "original" })).status()).toBe(201);
    const job = await startJob(request, member, [{ secret: name, envVar: "KEEP" }]);

    for (const [path, form] of [
      ["/settings/secrets/save", { intent: "replace", name, value: "overwritten" }],
      ["/settings/secrets/delete", { name }],
      ["/settings/agent-access/revoke", { jobId: job.jobId }],
    ] as const) {
      expect((await post(ctx, path, form, EVIL)).status(), path).toBe(403);
      const anonymous = await request.post(path, { form, headers: SAME_ORIGIN, maxRedirects: 0 });
      expect(anonymous.status(), path).toBe(401);
      expect(await anonymous.text()).toContain("Open the settings link from your chat");
    }
    expect(await fetchCredentials(request, job)).toEqual({ status: 200, body: [{ env_var: "KEEP", value: "original" }] });
  });

  test("revoke ends the owner's job at once; another member's revoke of it is a not-found and changes nothing", async ({ playwright, request }) => {
    const alice = owner();
    const malloryId = randomTelegramId();
    gatehouse("member", "add", "--workspace", alice.workspaceId, "--platform", "telegram", "--id", malloryId);
    const [a, m] = [await portalClient(playwright, alice), await portalClient(playwright, { workspaceId: alice.workspaceId, telegramId: malloryId })];
    const name = secretName();
    expect((await put(a, name, { value: "alice-value" })).status()).toBe(201);
    const job = await startJob(request, alice, [{ secret: name, envVar: "ALICE" }]);

    for (const jobId of [job.jobId, "not-a-job-id", "00000000-0000-4000-8000-000000000000"]) {
      const res = await post(m, "/settings/agent-access/revoke", { jobId });
      expect(res.status()).toBe(303);
      expect(res.headers()["location"]).toBe("/settings/agent-access?error=not_found");
    }
    expect((await fetchCredentials(request, job)).status).toBe(200);
    expect(await (await m.get("/settings/agent-access")).text()).not.toContain(job.jobId);
    expect(await (await a.get("/settings/agent-access")).text()).toContain(job.jobId);

    const revoked = await post(a, "/settings/agent-access/revoke", { jobId: job.jobId });
    expect(revoked.status()).toBe(303);
    expect(revoked.headers()["location"]).toBe(`/settings/agent-access?revoked=${job.jobId}`);
    const after = await fetchCredentials(request, job);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: { code: "invalid_token", message: "The token is missing, invalid, expired or revoked." } });
    expect(await (await a.get("/settings/agent-access")).text()).toContain("No agent jobs are running for you right now.");
  });
});

test("the Activity page takes any before= cursor without a 5xx", async ({ playwright }) => {
  const ctx = await portalClient(playwright, owner());
  for (const before of ["2147483648", "1e300", "9007199254740993", "-1", "abc", "1"]) {
    const res = await ctx.get(`/settings/activity?before=${encodeURIComponent(before)}`);
    expect(res.status(), before).toBe(200);
    expect(await res.text()).toContain("Activity");
  }
  await ctx.dispose();
});

test("Activity shows the user's own addresses only, never the orchestrator's or a job sandbox's", async ({ playwright, request, clientIp }) => {
  const member = owner();
  const ctx = await portalClient(playwright, member);
  const name = secretName();
  expect((await put(ctx, name, { value: secretValue() })).status()).toBe(201);
  const job = await startJob(request, member, [{ secret: name, envVar: "KEY" }]);
  expect((await fetchCredentials(request, job)).status).toBe(200);
  const html = await (await ctx.get("/settings/activity")).text();
  expect(html).toContain(job.jobId.slice(0, 8)); // the job's events are there
  expect(html).not.toContain(clientIp); // ...but not the address the orchestrator and the worker called from
  expect(html).toMatch(/IP \d+\.\d+\.\d+\.\d+/); // the user's own change keeps its address
  await ctx.dispose();
});
