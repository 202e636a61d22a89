// The OpenAPI document against the code it describes: every route under app/api/v1 is in it (and nothing
// else), it holds together as OpenAPI 3.1, and every operation driven into each error it can produce answers
// only documented (status, code) pairs, while every documented code actually happens.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkpointHead } from "@/lib/audit/checkpoint-sweep";
import { getConfig } from "@/lib/config";
import type { ErrorCode } from "@/lib/errors";
import { saveConnection } from "@/lib/connections/store";
import { createInvite } from "@/lib/invites/manage";
import { completeJob } from "@/lib/jobs/lifecycle";
import { deleteSecret } from "@/lib/secrets/store";
import { makeJob, makeMember, makeWorkspace, randomTelegramId } from "@/test/factories";
import { eventually } from "@/test/eventually";
import { bearer, call } from "@/test/http/routes";
import { proxyDependencies } from "@/test/tcp-proxy";
import { getOpenApiDocument, type OpenApiDocument, type OpenApiOperation, type OpenApiResponse } from "./openapi";
import { errorStatus, HTTP_METHODS, OTHER_METHOD_ERROR, operations, type HttpMethod, type Operation } from "./operations";
import { errorBody } from "./v1-schemas";

// Low, so that provoking rate_limited costs a few dozen requests; no other token here gets near it.
const RATE_LIMIT = 25;
const V1 = path.resolve(__dirname, "../../app/api/v1");
const NIL_UUID = "00000000-0000-4000-8000-000000000000";

type Response = Awaited<ReturnType<typeof call>>;
type RouteModule = Record<string, unknown>;

let deps: Awaited<ReturnType<typeof proxyDependencies>>;
let routes: Map<string, RouteModule>;
let doc: OpenApiDocument;

/** `app/api/v1/jobs/[jobId]/route.ts` → `/api/v1/jobs/{jobId}`. */
function templateOf(file: string): string {
  const segments = path.relative(V1, path.dirname(file)).split(path.sep).filter(Boolean);
  const parts = segments.flatMap((s) => {
    if (/^\(.+\)$/.test(s)) return []; // a route group is not part of the URL
    const dynamic = /^\[([A-Za-z_]\w*)\]$/.exec(s);
    if (dynamic) return [`{${dynamic[1]}}`];
    if (s.startsWith("[")) throw new Error(`${file}: a catch-all segment has no OpenAPI path template`);
    return [s];
  });
  return ["/api/v1", ...parts].join("/");
}

// Every path parameter of /api/v1 is a job id so far; a request fills them all with one value.
const paramNames = (template: string) => [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
const fill = (template: string, id = NIL_UUID) => template.replace(/\{[^}]+\}/g, encodeURIComponent(id));
const paramsOf = (template: string, id = NIL_UUID) => Object.fromEntries(paramNames(template).map((n) => [n, id]));
const errorCode = (res: Response) => (res.body as { error?: { code?: ErrorCode } } | null)?.error?.code;
const documentedOperation = (op: Operation): OpenApiOperation | undefined =>
  doc.paths[op.path]?.[op.method.toLowerCase() as Lowercase<HttpMethod>];

beforeAll(async () => {
  vi.stubEnv("RATE_LIMIT_TOKEN_PER_MINUTE", String(RATE_LIMIT));
  deps = await proxyDependencies(vi.stubEnv);
  routes = new Map();
  const files = fs.readdirSync(V1, { recursive: true, encoding: "utf8" }).filter((f) => path.basename(f) === "route.ts");
  for (const file of files) routes.set(templateOf(path.join(V1, file)), (await import(path.join(V1, file))) as RouteModule);
  const res = await call(routes.get("/api/v1/openapi.json")?.GET, "/api/v1/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = res.body as OpenApiDocument;
});

afterAll(async () => {
  await deps.stop();
  vi.unstubAllEnvs();
});

/** The response must be documented for this operation: its status, its code under that status, its body. */
function expectDocumented(op: Operation, res: Response, what: string) {
  const documented: OpenApiResponse | undefined = documentedOperation(op)?.responses[String(res.status)];
  expect(documented, `${op.operationId} (${what}) answered an undocumented ${res.status}: ${res.text}`).toBeDefined();
  expect(res.headers.get("cache-control"), what).toBe("no-store");
  if (res.status >= 400) {
    const codes = documented!["x-error-codes"] ?? [];
    expect(codes, `${op.operationId} (${what}): ${res.status} ${errorCode(res)} is not documented`).toContain(errorCode(res));
    errorBody(codes as [ErrorCode, ...ErrorCode[]]).parse(res.body);
    return;
  }
  const success = op.responses.find((r) => r.status === res.status)!;
  if (success.body) success.body.schema.parse(res.body);
  else expect(res.text, what).toBe("");
}

describe("the OpenAPI document of /api/v1", () => {
  it("documents every method each route on disk serves, and nothing that is not on disk", async () => {
    const served = new Map<string, Set<string>>();
    for (const [template, mod] of routes) {
      const methods = new Set<string>();
      const standIns = new Map<string, string | null>();
      for (const method of [...HTTP_METHODS, "OPTIONS"]) {
        if (typeof mod[method] !== "function") continue;
        // A bare, unauthenticated request: real handlers answer 401 (or serve this document), stand-ins 405.
        const res = await call(mod[method], fill(template), { method, params: paramsOf(template) });
        if (res.status !== 405 || errorCode(res) !== OTHER_METHOD_ERROR) {
          methods.add(method);
          continue;
        }
        standIns.set(method, res.headers.get("allow"));
        expect(doc.components.responses.MethodNotAllowed?.["x-error-codes"]).toEqual([OTHER_METHOD_ERROR]);
        errorBody([OTHER_METHOD_ERROR]).parse(res.body);
        expect(res.headers.get("cache-control")).toBe("no-store");
      }
      served.set(template, methods);
      const item = doc.paths[template];
      expect(item, `${template} is on disk but not documented`).toBeDefined();
      // Every method a route does not serve answers the JSON 405 (not Next's bare one), and the document says so.
      const others = HTTP_METHODS.filter((m) => !methods.has(m));
      // OPTIONS too, or Next answers it with its own 204 (proxy.ts does not run for these routes); not documented.
      expect(standIns.has("OPTIONS") || methods.has("OPTIONS"), `${template} OPTIONS`).toBe(true);
      expect([...standIns.keys()].filter((m) => m !== "OPTIONS").sort(), template).toEqual([...others].sort());
      expect(item!["x-other-methods"]?.methods, template).toEqual(others);
      for (const [method, allow] of standIns) expect(allow?.split(", ").sort(), `Allow of ${method} ${template}`).toEqual([...methods].sort());
    }
    const documented = new Map(
      Object.entries(doc.paths).map(([p, item]) => [p, new Set(HTTP_METHODS.filter((m) => item[m.toLowerCase() as Lowercase<HttpMethod>]))]),
    );
    expect(documented).toEqual(served);
  });

  it("is well-formed OpenAPI 3.1: operations with responses, path parameters, security and $refs that resolve", () => {
    expect(doc).toStrictEqual(JSON.parse(JSON.stringify(getOpenApiDocument())));
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    expect(doc.servers).toEqual([{ url: getConfig().publicUrl }]);
    for (const scheme of Object.values(doc.components.securitySchemes)) expect(scheme).toMatchObject({ type: "http", scheme: "bearer" });

    const ids = new Set<string>();
    for (const [template, item] of Object.entries(doc.paths)) {
      expect(template).toMatch(/^\/api\/v1\//);
      const names = paramNames(template);
      for (const method of HTTP_METHODS) {
        const op = item[method.toLowerCase() as Lowercase<HttpMethod>];
        if (!op) continue;
        const where = `${method} ${template}`;
        expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} twice`).toBe(false);
        ids.add(op.operationId);
        expect(op.summary, where).toBeTruthy();
        expect((op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort(), where).toEqual(names.sort());
        for (const p of op.parameters ?? []) expect(p, where).toMatchObject({ required: p.in === "path", schema: expect.any(Object) });
        for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(name);
        if (op.requestBody) expect(op.requestBody.content["application/json"].schema, where).toBeDefined();

        const statuses = Object.keys(op.responses);
        expect(statuses.length, where).toBeGreaterThan(0);
        expect(statuses.some((s) => /^2\d\d$/.test(s)), `${where}: no success response`).toBe(true);
        for (const [status, response] of Object.entries(op.responses)) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          expect(response.description, `${where} ${status}`).toBeTruthy();
          if (Number(status) < 400) continue;
          const codes = response["x-error-codes"] ?? [];
          expect(codes.length, `${where} ${status}: no error codes`).toBeGreaterThan(0);
          for (const code of codes) expect(errorStatus(code), `${where}: ${code} is not a ${status}`).toBe(Number(status));
          expect(JSON.stringify(response.content), `${where} ${status}`).toContain('"#/components/schemas/Error"');
        }
      }
    }
    expect([...ids].sort()).toEqual(operations.map((o) => o.operationId).sort());

    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, child] of Object.entries(v)) {
          if (k === "$ref") refs.push(child as string);
          else walk(child);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      expect(ref, "only local references").toMatch(/^#\//);
      let target: unknown = doc;
      for (const token of ref.slice(2).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"))) {
        target = target && typeof target === "object" ? (target as Record<string, unknown>)[token] : undefined;
      }
      expect(target, `${ref} does not resolve`).toBeDefined();
    }
  });
});

// ---- Driving every operation into every error it documents ----------------------------------------------

type Case = {
  name: string;
  headers?: Record<string, string> | (() => Record<string, string>);
  body?: string;
  jobId?: string;
  /** Appended to the path as is, e.g. "?after=3". */
  query?: string;
  expect: number | [number, ErrorCode];
  /** Repeat until the per-token budget runs out (at most two windows' worth, in case a minute ends midway). */
  flood?: boolean;
  then?: (res: Response) => void | Promise<void>;
};

const signed = { authorization: 'Signed keyId="orchestrator",signature="c2lnbmF0dXJl"' };
const randomToken = (kind: "svc" | "job") => `gh_${kind}_${randomBytes(32).toString("base64url")}`;

async function send(op: Operation, c: Case): Promise<Response> {
  // Each request from its own address, so one case's refused tokens never spend another's budget (lib/auth/bearer.ts).
  const headers = { "x-forwarded-for": `10.${randomBytes(3).join(".")}`, ...(typeof c.headers === "function" ? c.headers() : (c.headers ?? {})) };
  const handler = routes.get(op.path)?.[op.method];
  return call(handler, `${fill(op.path, c.jobId)}${c.query ?? ""}`, {
    method: op.method,
    headers,
    ...(c.body !== undefined ? { body: c.body } : {}),
    params: paramsOf(op.path, c.jobId),
  });
}

/** Runs the cases in order; returns every (status, code) observed, each checked against the document. */
async function drive(op: Operation, cases: Case[]) {
  const observed = new Set<string>();
  for (const c of cases) {
    let res = await send(op, c);
    for (let i = 0; c.flood && res.status !== 429 && i < 2 * RATE_LIMIT; i++) res = await send(op, c);
    const code = errorCode(res);
    expect(typeof c.expect === "number" ? res.status : [res.status, code], `${op.operationId}: ${c.name}: ${res.text}`).toEqual(c.expect);
    expectDocumented(op, res, c.name);
    await c.then?.(res);
    observed.add(`${res.status} ${code ?? ""}`.trim());
  }
  return observed;
}

/** The documented codes a table need not provoke, and why. */
const EXEMPT: Partial<Record<ErrorCode, string>> = {
  internal_error: "only an unexpected exception produces it; provoking one would take a fault injected into lib/",
  unavailable: "provoked for every operation by the outage test below, which cuts Redis and then Postgres",
};

/** A workspace with a member who has set the secrets KEY and GONE. */
async function withMember() {
  const { workspaceId } = await makeWorkspace();
  const member = await makeMember(workspaceId, { KEY: `value-${randomBytes(6).toString("hex")}`, GONE: "soon deleted" });
  return { workspaceId, member };
}

const MCP_SERVER = "https://mcp.example.test/mcp";

/** A connection to an MCP server whose token never expires: granted and served without any upstream call. */
async function connectMcp(workspaceId: string, userId: string) {
  await saveConnection({
    workspaceId,
    userId,
    ref: { kind: "mcp", serverUrl: MCP_SERVER },
    issuer: "https://as.example.test",
    resource: MCP_SERVER,
    upstreamAccount: null,
    upstreamSubject: null,
    scopes: [],
    tokens: { accessToken: `mcp-${randomBytes(6).toString("hex")}`, refreshToken: null, tokenType: "bearer" },
    expiresAt: null,
    actor: { type: "user", id: userId },
  });
}

const serviceCases = (serviceToken: string, extra: { json?: boolean } = {}): Case[] => {
  const type: Record<string, string> = extra.json ? { "content-type": "application/json" } : {};
  const body = extra.json ? "{}" : undefined;
  return [
    { name: "no Authorization header", headers: type, body, expect: [401, "invalid_token"] },
    { name: "the Signed scheme", headers: { ...type, ...signed }, body, expect: [401, "unsupported_auth_scheme"] },
    { name: "a random service token", headers: { ...type, ...bearer(randomToken("svc")) }, body, expect: [401, "invalid_token"] },
    { name: "a malformed token", headers: { ...type, ...bearer(`${serviceToken}x`) }, body, expect: [401, "invalid_token"] },
    { name: "a flood on one token", headers: { ...type, ...bearer(randomToken("svc")) }, body, flood: true, expect: [429, "rate_limited"] },
  ];
};

const workerCases = (): Case[] => [
  { name: "no Authorization header", expect: [401, "invalid_token"] },
  { name: "the Signed scheme", headers: signed, expect: [401, "unsupported_auth_scheme"] },
  { name: "a random job token", headers: bearer(randomToken("job")), expect: [401, "invalid_token"] },
  { name: "a flood on one token", headers: bearer(randomToken("job")), flood: true, expect: [429, "rate_limited"] },
];

/** A gateway operation: a member's job with a private Telegram delivery (no bot token here: platform_unavailable). */
async function gatewayCases(good: object, bad: object): Promise<Case[]> {
  const { db } = await import("@/lib/db/client");
  const { workspaceId, member } = await withMember();
  await db.provider.create({ data: { workspaceId, id: "github", template: "github", clientId: "gatehouse-test", scopes: "read:user" } });
  const delivery = { platform: "telegram" as const, chatId: member.telegramId };
  const job = await makeJob(workspaceId, member.telegramId, [], { delivery });
  const leaver = await makeMember(workspaceId);
  const orphaned = await makeJob(workspaceId, leaver.telegramId, [], { delivery: { platform: "telegram", chatId: leaver.telegramId } });
  // The row alone, as if the membership went while the job still runs: the gateway re-checks it.
  await db.membership.delete({ where: { workspaceId_userId: { workspaceId, userId: leaver.userId } } });
  const json = { ...bearer(job.token), "content-type": "application/json" };
  const notDelivered = (res: Response) => expect(res.body).toMatchObject({ delivered: false, reason: "platform_unavailable" });
  return [
    { name: "a valid ask", headers: json, body: JSON.stringify(good), expect: 200, then: notDelivered },
    ...workerCases(),
    { name: "a service token", headers: { ...json, ...bearer(job.serviceToken) }, body: JSON.stringify(good), expect: [401, "invalid_token"] },
    { name: "a text/plain body", headers: { ...json, "content-type": "text/plain" }, body: JSON.stringify(good), expect: [415, "unsupported_media_type"] },
    { name: "a body that is not JSON", headers: json, body: "{", expect: [400, "invalid_json"] },
    { name: "a bad field", headers: json, body: JSON.stringify(bad), expect: [400, "validation_failed"] },
    { name: "a reason with a link", headers: json, body: JSON.stringify({ ...good, reason: "see https://evil.example" }), expect: [400, "validation_failed"] },
    { name: "a body over 64 KiB", headers: json, body: JSON.stringify({ ...good, pad: "x".repeat(65 * 1024) }), expect: [413, "payload_too_large"] },
    { name: "an owner no longer a member", headers: { ...json, ...bearer(orphaned.token) }, body: JSON.stringify(good), expect: [403, "forbidden"] },
  ];
}

const scenarios: Record<string, () => Promise<Case[]>> = {
  requestSettingsLink: () => gatewayCases({ section: "secrets" }, { section: "billing" }),
  requestIntegrationConnect: () => gatewayCases({ provider: "github" }, { provider: "gitlab" }),
  requestMcpLogin: () => gatewayCases({ server: "https://mcp.example.test/mcp" }, { server: "http://mcp.example.test/mcp" }),

  async createJob() {
    const { workspaceId, member } = await withMember();
    const { serviceToken, token: jobToken } = await makeJob(workspaceId, member.telegramId);
    const json = { ...bearer(serviceToken), "content-type": "application/json" };
    const user = { platform: "telegram", id: member.telegramId };
    return [
      { name: "a member with a grant", headers: json, body: JSON.stringify({ user, grants: [{ secret: "KEY", envVar: "KEY" }] }), expect: 201 },
      ...serviceCases(serviceToken, { json: true }),
      { name: "a job token", headers: { ...json, ...bearer(jobToken) }, body: JSON.stringify({ user }), expect: [401, "invalid_token"] },
      { name: "a text/plain body", headers: { ...json, "content-type": "text/plain" }, body: JSON.stringify({ user }), expect: [415, "unsupported_media_type"] },
      { name: "a body that is not JSON", headers: json, body: '{"user":', expect: [400, "invalid_json"] },
      { name: "an unknown field", headers: json, body: JSON.stringify({ user, owner: "admin" }), expect: [400, "validation_failed"] },
      { name: "an unknown platform", headers: json, body: JSON.stringify({ user: { platform: "irc", id: "42" } }), expect: [400, "validation_failed"] },
      { name: "a body over 64 KiB", headers: json, body: JSON.stringify({ user, pad: "x".repeat(65 * 1024) }), expect: [413, "payload_too_large"] },
      { name: "a user who is not a member", headers: json, body: JSON.stringify({ user: { platform: "telegram", id: randomTelegramId() } }), expect: [403, "not_a_member"] },
      {
        name: "a grant of a secret the user has not set",
        headers: json,
        body: JSON.stringify({ user, grants: [{ secret: "MISSING", envVar: "MISSING" }] }),
        expect: [422, "invalid_grants"],
        then: (res) => expect(res.body).toMatchObject({ error: { details: { missing_secrets: ["MISSING"] } } }),
      },
      {
        name: "a grant of a connection and an MCP server the user has not connected",
        headers: json,
        body: JSON.stringify({ user, grants: [{ connection: "github", envVar: "GH_TOKEN" }, { mcp: "https://other.example.test/mcp", envVar: "MCP_TOKEN" }] }),
        expect: [422, "invalid_grants"],
        then: (res) =>
          expect(res.body).toMatchObject({ error: { details: { missing_secrets: [], missing_connections: ["github", "https://other.example.test/mcp"] } } }),
      },
    ];
  },

  async redeemInvite() {
    const { workspaceId, member } = await withMember();
    const { serviceToken, token: jobToken } = await makeJob(workspaceId, member.telegramId);
    const operator = { acting: "operator" as const, actor: { type: "system" as const, id: "test" } };
    const invite = await createInvite({ workspaceId, maxUses: 5, ...operator });
    const theirs = await createInvite({ workspaceId: (await makeWorkspace()).workspaceId, ...operator });
    const json = { ...bearer(serviceToken), "content-type": "application/json" };
    const newcomer = () => ({ platform: "telegram", id: randomTelegramId(), name: "Newcomer" });
    const redeem = (code: string, user: object = newcomer()) => JSON.stringify({ code, user });
    return [
      { name: "a new user with a usable code", headers: json, body: redeem(invite.code), expect: 201 },
      ...serviceCases(serviceToken, { json: true }),
      { name: "a job token", headers: { ...json, ...bearer(jobToken) }, body: redeem(invite.code), expect: [401, "invalid_token"] },
      { name: "a text/plain body", headers: { ...json, "content-type": "text/plain" }, body: redeem(invite.code), expect: [415, "unsupported_media_type"] },
      { name: "a body that is not JSON", headers: json, body: '{"code":', expect: [400, "invalid_json"] },
      { name: "an unknown field", headers: json, body: JSON.stringify({ code: invite.code, user: newcomer(), role: "owner" }), expect: [400, "validation_failed"] },
      { name: "an unknown platform", headers: json, body: redeem(invite.code, { platform: "irc", id: "42" }), expect: [400, "validation_failed"] },
      { name: "a body over 64 KiB", headers: json, body: JSON.stringify({ code: invite.code, user: newcomer(), pad: "x".repeat(65 * 1024) }), expect: [413, "payload_too_large"] },
      { name: "a member of the workspace", headers: json, body: redeem(invite.code, { platform: "telegram", id: member.telegramId }), expect: [409, "already_member"] },
      { name: "an unknown code", headers: json, body: redeem(`gh_inv_${randomBytes(32).toString("base64url")}`), expect: [410, "invite_invalid"] },
      { name: "another workspace's code", headers: json, body: redeem(theirs.code), expect: [410, "invite_invalid"] },
      { name: "a malformed code", headers: json, body: redeem("not-a-code"), expect: [410, "invite_invalid"] },
    ];
  },

  async getJob() {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const job = await makeJob(workspaceId, ownerTelegramId);
    const other = await makeWorkspace();
    const theirs = await makeJob(other.workspaceId, other.ownerTelegramId);
    const auth = bearer(job.serviceToken);
    const { workspaceId: grantedIn, member: granter } = await withMember();
    await connectMcp(grantedIn, granter.userId);
    const granted = await makeJob(grantedIn, granter.telegramId, [{ secret: "KEY", envVar: "KEY" }, { mcp: MCP_SERVER, envVar: "MCP_TOKEN" }]);
    return [
      { name: "a job of the token's workspace", headers: auth, jobId: job.jobId, expect: 200 },
      {
        name: "a job with secret and MCP grants",
        headers: bearer(granted.serviceToken),
        jobId: granted.jobId,
        expect: 200,
        then: (res) => expect((res.body as { grants: unknown }).grants).toEqual([{ secret: "KEY", envVar: "KEY" }, { mcp: MCP_SERVER, envVar: "MCP_TOKEN" }]),
      },
      ...serviceCases(job.serviceToken).map((c) => ({ ...c, jobId: job.jobId })),
      { name: "another workspace's job", headers: auth, jobId: theirs.jobId, expect: [404, "not_found"] },
      { name: "an unknown id", headers: auth, jobId: randomUUID(), expect: [404, "not_found"] },
      { name: "a malformed id", headers: auth, jobId: "not-a-uuid", expect: [404, "not_found"] },
    ];
  },

  async completeJob() {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const job = await makeJob(workspaceId, ownerTelegramId);
    const other = await makeWorkspace();
    const theirs = await makeJob(other.workspaceId, other.ownerTelegramId);
    const auth = bearer(job.serviceToken);
    const completed = (res: Response) => expect(res.body).toMatchObject({ jobId: job.jobId, status: "completed" });
    return [
      { name: "a running job", headers: auth, jobId: job.jobId, expect: 200, then: completed },
      { name: "the same job again (idempotent)", headers: auth, jobId: job.jobId, expect: 200, then: completed },
      ...serviceCases(job.serviceToken).map((c) => ({ ...c, jobId: job.jobId })),
      { name: "another workspace's job", headers: auth, jobId: theirs.jobId, expect: [404, "not_found"] },
      { name: "a malformed id", headers: auth, jobId: "not-a-uuid", expect: [404, "not_found"] },
    ];
  },

  async getJobCredentials() {
    const { workspaceId, member } = await withMember();
    const granted = await makeJob(workspaceId, member.telegramId, [{ secret: "KEY", envVar: "API_KEY" }]);
    const bare = await makeJob(workspaceId, member.telegramId);
    const denied = await makeJob(workspaceId, member.telegramId, [{ secret: "GONE", envVar: "GONE" }]);
    await deleteSecret({ workspaceId, userId: member.userId, name: "GONE", actor: { type: "user", id: member.userId } });
    const ended = await makeJob(workspaceId, member.telegramId, [{ secret: "KEY", envVar: "API_KEY" }]);
    await completeJob({ workspaceId, jobId: ended.jobId, serviceTokenId: ended.serviceTokenId });
    await connectMcp(workspaceId, member.userId);
    const withMcp = await makeJob(workspaceId, member.telegramId, [{ mcp: MCP_SERVER, envVar: "MCP_TOKEN" }]);
    return [
      { name: "a job with grants", headers: bearer(granted.token), jobId: granted.jobId, expect: 200 },
      { name: "a job with an MCP grant", headers: bearer(withMcp.token), jobId: withMcp.jobId, expect: 200 },
      { name: "a job without grants", headers: bearer(bare.token), jobId: bare.jobId, expect: 204 },
      ...workerCases().map((c) => ({ ...c, jobId: granted.jobId })),
      { name: "another job's token", headers: bearer(bare.token), jobId: granted.jobId, expect: [401, "invalid_token"] },
      { name: "a service token", headers: bearer(granted.serviceToken), jobId: granted.jobId, expect: [401, "invalid_token"] },
      { name: "a completed job's token", headers: bearer(ended.token), jobId: ended.jobId, expect: [401, "invalid_token"] },
      { name: "a granted secret was deleted", headers: bearer(denied.token), jobId: denied.jobId, expect: [403, "forbidden"] },
    ];
  },

  async rotateJobToken() {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const job = await makeJob(workspaceId, ownerTelegramId);
    const other = await makeJob(workspaceId, ownerTelegramId);
    const ended = await makeJob(workspaceId, ownerTelegramId);
    await completeJob({ workspaceId, jobId: ended.jobId, serviceTokenId: ended.serviceTokenId });
    let successor = "";
    return [
      {
        name: "a live token",
        headers: bearer(job.token),
        jobId: job.jobId,
        expect: 200,
        then: (res) => {
          successor = (res.body as { token: string }).token;
        },
      },
      { name: "the same token again", headers: bearer(job.token), jobId: job.jobId, expect: [409, "already_rotated"] },
      { name: "its successor", headers: () => bearer(successor), jobId: job.jobId, expect: 200 },
      ...workerCases().map((c) => ({ ...c, jobId: job.jobId })),
      { name: "another job's token", headers: bearer(other.token), jobId: job.jobId, expect: [401, "invalid_token"] },
      { name: "a completed job's token", headers: bearer(ended.token), jobId: ended.jobId, expect: [401, "invalid_token"] },
    ];
  },

  async listAuditCheckpoints() {
    const { workspaceId, ownerTelegramId } = await makeWorkspace();
    const { serviceToken } = await makeJob(workspaceId, ownerTelegramId);
    await checkpointHead(workspaceId);
    const auth = bearer(serviceToken);
    const page = (res: Response) => expect(res.body).toMatchObject({ checkpoints: [{ workspaceId, seq: expect.any(Number) }], nextAfter: null });
    return [
      { name: "the first page", headers: auth, expect: 200, then: page },
      { name: "after the last one", headers: auth, query: "?after=2147483647&limit=1000", expect: 200, then: (res) => expect(res.body).toEqual({ checkpoints: [], nextAfter: null }) },
      ...serviceCases(serviceToken),
      { name: "a limit over 1000", headers: auth, query: "?limit=1001", expect: [400, "validation_failed"] },
      { name: "a negative cursor", headers: auth, query: "?after=-1", expect: [400, "validation_failed"] },
      { name: "an unknown parameter", headers: auth, query: "?workspace=other", expect: [400, "validation_failed"] },
    ];
  },

  async getOpenApiDocument() {
    return [{ name: "anyone", expect: 200 }];
  },
};

describe("every operation answers only what the document says, and all of it", () => {
  it("has a table for every documented operation", () => {
    expect(Object.keys(scenarios).sort()).toEqual(operations.map((o) => o.operationId).sort());
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}`, async () => {
      const observed = await drive(op, await scenarios[op.operationId]!());
      const responses = documentedOperation(op)!.responses;
      for (const [status, response] of Object.entries(responses)) {
        for (const code of response["x-error-codes"] ?? []) {
          if (EXEMPT[code]) continue;
          expect(observed, `${op.operationId} documents ${status} ${code}, which no case provoked`).toContain(`${status} ${code}`);
        }
        if (Number(status) < 400) expect(observed, `${op.operationId} documents ${status}, which no case produced`).toContain(status);
      }
    });
  }

  it("answers 503 unavailable, as each documents, while Redis or Postgres is down; the document still serves", async () => {
    const { workspaceId, member } = await withMember();
    const job = await makeJob(workspaceId, member.telegramId, [{ secret: "KEY", envVar: "API_KEY" }]);
    const gatewayJob = await makeJob(workspaceId, member.telegramId, [], { delivery: { platform: "telegram", chatId: member.telegramId } });
    const { db } = await import("@/lib/db/client");
    await db.provider.create({ data: { workspaceId, id: "github", template: "github", clientId: "gatehouse-test", scopes: "read:user" } });
    const requests: Record<string, Case> = {
      createJob: {
        name: "a valid job",
        headers: { ...bearer(job.serviceToken), "content-type": "application/json" },
        body: JSON.stringify({ user: { platform: "telegram", id: member.telegramId } }),
        expect: [503, "unavailable"],
      },
      redeemInvite: {
        name: "a redemption",
        headers: { ...bearer(job.serviceToken), "content-type": "application/json" },
        body: JSON.stringify({ code: `gh_inv_${randomBytes(32).toString("base64url")}`, user: { platform: "telegram", id: randomTelegramId() } }),
        expect: [503, "unavailable"],
      },
      getJob: { name: "a job", headers: bearer(job.serviceToken), jobId: job.jobId, expect: [503, "unavailable"] },
      completeJob: { name: "a job", headers: bearer(job.serviceToken), jobId: job.jobId, expect: [503, "unavailable"] },
      getJobCredentials: { name: "credentials", headers: bearer(job.token), jobId: job.jobId, expect: [503, "unavailable"] },
      rotateJobToken: { name: "a rotation", headers: bearer(job.token), jobId: job.jobId, expect: [503, "unavailable"] },
      getOpenApiDocument: { name: "the document", expect: 200 },
      listAuditCheckpoints: { name: "checkpoints", headers: bearer(job.serviceToken), expect: [503, "unavailable"] },
      ...Object.fromEntries(
        (
          [
            ["requestSettingsLink", {}],
            ["requestIntegrationConnect", { provider: "github" }],
            ["requestMcpLogin", { server: "https://mcp.example.test/" }],
          ] as const
        ).map(([id, body]) => [id, { name: "an ask", headers: { ...bearer(gatewayJob.token), "content-type": "application/json" }, body: JSON.stringify(body), expect: [503, "unavailable"] } satisfies Case]),
      ),
    };
    const byId = new Map(operations.map((o) => [o.operationId, o]));
    const credentials = () => send(byId.get("getJobCredentials")!, requests.getJobCredentials!);
    for (const proxy of [deps.redis, deps.pg]) {
      await proxy.close();
      try {
        await Promise.all(Object.entries(requests).map(([id, c]) => drive(byId.get(id)!, [c])));
      } finally {
        await proxy.open();
      }
      expect(await eventually(async () => (await credentials()).status === 200)).toBe(true);
    }
    const documenting = operations.filter((o) => o.errors.includes("unavailable")).map((o) => o.operationId);
    expect(Object.keys(requests).filter((id) => requests[id]!.expect !== 200).sort()).toEqual(documenting.sort());
  });
});
