// The API's edges answer in its one JSON error shape: methods a route does not serve (405 with Allow),
// paths no route serves (404), and HEAD on credentials, which must not read or audit anything.
import { API, bearer, sql, startJob } from "../../helpers/api-seed";
import { createWorkspace, gatehouse } from "../../helpers/cli";
import { expect, test } from "../../helpers/fixtures";

const METHOD_NOT_ALLOWED = { error: { code: "method_not_allowed", message: "Method not allowed." } };

test("unserved methods are 405 with the JSON body and Allow; unknown API paths are a JSON 404", async ({ request }) => {
  const cases: [string, string, string][] = [
    ["GET", "/api/v1/jobs", "POST"],
    ["PATCH", "/api/v1/jobs/00000000-0000-4000-8000-000000000000", "GET"],
    ["DELETE", "/api/v1/jobs/00000000-0000-4000-8000-000000000000", "GET"],
    ["PUT", "/api/v1/worker/jobs/00000000-0000-4000-8000-000000000000/credentials", "GET"],
    ["GET", "/api/v1/worker/jobs/00000000-0000-4000-8000-000000000000/token/rotate", "POST"],
    ["POST", "/api/portal/secrets", "GET"],
    ["GET", "/api/portal/secrets/NAME", "PUT, DELETE"],
    ["POST", "/api/v1/audit/checkpoints", "GET"],
    // Routes proxy.ts does not run for answer these themselves, OPTIONS included (not Next's 204).
    ["PUT", "/api/health", "GET"],
    ["DELETE", "/api/ready", "GET"],
    ["GET", "/api/telegram/session", "POST"],
    ["OPTIONS", "/api/v1/jobs", "POST"],
    ["OPTIONS", "/api/v1/worker/jobs/00000000-0000-4000-8000-000000000000/credentials", "GET"],
  ];
  for (const [method, path, allow] of cases) {
    const res = await request.fetch(`${API}${path}`, { method });
    expect(res.status(), `${method} ${path}`).toBe(405);
    expect(await res.json()).toEqual(METHOD_NOT_ALLOWED);
    expect(res.headers()["allow"]).toBe(allow);
    expect(res.headers()["cache-control"]).toBe("no-store");
  }
  for (const method of ["GET", "POST", "OPTIONS"]) {
    const res = await request.fetch(`${API}/api/v1/nope/deeper`, { method });
    expect(res.status()).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "No API endpoint at this path." } });
  }
});

test("a path that does not percent-decode is a JSON 400 on every /api route, never a 500", async ({ request }) => {
  const paths = [
    "/api/health/%ZZ",
    "/api/v1/jobs/%ZZ",
    "/api/v1/jobs/%E0%A4%A/complete",
    "/api/v1/worker/jobs/%ZZ/credentials",
    "/api/portal/secrets/%FF%FE",
    "/api/telegram/session%",
    "/api/auth/session/%ZZ",
    "/api/nope/%ZZ",
  ];
  for (const path of paths) {
    for (const method of ["GET", "POST", "PUT", "DELETE"]) {
      const res = await request.fetch(`${API}${path}`, { method, headers: bearer(`gh_job_${"A".repeat(43)}`) });
      expect(res.status(), `${method} ${path}`).toBe(400);
      expect(await res.json()).toEqual({ error: { code: "bad_request", message: "The request path is malformed." } });
      expect(res.headers()["cache-control"]).toBe("no-store");
    }
  }
});

test("HEAD on credentials reads nothing and records nothing", async ({ request }) => {
  const ws = createWorkspace();
  const { token: serviceToken } = gatehouse<{ token: string }>("token", "issue", "--workspace", ws.workspaceId, "--kind", "service");
  const job = await startJob(request, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId } });
  const res = await request.head(`${API}/api/v1/worker/jobs/${job.jobId}/credentials`, { headers: bearer(job.token) });
  expect(res.status()).toBe(405);
  const events = await sql<{ n: string }>("SELECT count(*)::text AS n FROM audit_events WHERE workspace_id = $1 AND action LIKE 'credentials.%'", [ws.workspaceId]);
  expect(events[0]!.n).toBe("0");
  expect((await request.get(`${API}/api/v1/worker/jobs/${job.jobId}/credentials`, { headers: bearer(job.token) })).status()).toBe(204);
});

// proxy.ts does not run for most of /api any more (the route layer sets these): the headers must not change.
test("every /api response carries the security headers and a CSP that lets nothing load; next-auth's pages keep the nonce CSP", async ({ request }) => {
  const ws = createWorkspace();
  const { token: serviceToken } = gatehouse<{ token: string }>("token", "issue", "--workspace", ws.workspaceId, "--kind", "service");
  const job = await startJob(request, serviceToken, { user: { platform: "telegram", id: ws.ownerTelegramId } });
  const credentials = `${API}/api/v1/worker/jobs/${job.jobId}/credentials`;
  const cases: [string, string, Record<string, string>, number][] = [
    ["GET", `${API}/api/health`, {}, 200],
    ["GET", credentials, bearer(job.token), 204],
    ["GET", credentials, bearer(`gh_job_${"A".repeat(43)}`), 401],
    ["PUT", credentials, bearer(job.token), 405],
    ["GET", `${API}/api/v1/nope/deeper`, {}, 404],
    ["OPTIONS", credentials, {}, 405],
    // What proxy.ts still answers under /api: a malformed path, a Server Action call.
    ["GET", `${API}/api/v1/worker/jobs/%ZZ/credentials`, bearer(job.token), 400],
    ["POST", `${API}/api/v1/jobs`, { "Next-Action": "x" }, 400],
  ];
  for (const [method, url, headers, status] of cases) {
    const res = await request.fetch(url, { method, headers });
    const h = res.headers();
    expect(res.status(), `${method} ${url}`).toBe(status);
    expect(h["content-security-policy"], url).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("no-referrer");
    expect(h["cross-origin-opener-policy"]).toBe("same-origin");
    expect(h["permissions-policy"]).toBe("camera=(), microphone=(), geolocation=(), payment=()");
    expect(h["cache-control"]).toBe("no-store");
  }
  const signIn = await request.get(`${API}/api/auth/signin`, { maxRedirects: 0 });
  expect(signIn.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(signIn.headers()["x-content-type-options"]).toBe("nosniff");
  expect(signIn.headers()["cache-control"]).toBe("no-store");
});
