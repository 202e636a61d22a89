// The worker credentials route in-process against real Postgres and Redis behind cuttable proxies:
// infrastructure failure is 503 (never 200 from stale state, never a leaking 500) and recovers by itself.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bearer, call } from "@/test/http/routes";
import { eventually } from "@/test/eventually";
import { proxyDependencies, type startTcpProxy } from "@/test/tcp-proxy";
import type * as JobsRoute from "../../../../jobs/route";
import type * as RotateRoute from "../token/rotate/route";
import type * as CredentialsRoute from "./route";

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;
let pgProxy: Proxy;
let redisProxy: Proxy;
let deps: Awaited<ReturnType<typeof proxyDependencies>>;
let route: typeof CredentialsRoute;
let rotateRoute: typeof RotateRoute;
let jobsRoute: typeof JobsRoute;
let job: { jobId: string; token: string; serviceToken: string };
let telegramId: string;

beforeAll(async () => {
  deps = await proxyDependencies(vi.stubEnv);
  pgProxy = deps.pg;
  redisProxy = deps.redis;
  route = await import("./route");
  rotateRoute = await import("../token/rotate/route");
  jobsRoute = await import("../../../../jobs/route");
  const { makeJob, makeMember, makeWorkspace } = await import("@/test/factories");
  const { workspaceId } = await makeWorkspace();
  const m = await makeMember(workspaceId, { KEY: "infra-secret-value" });
  telegramId = m.telegramId;
  job = await makeJob(workspaceId, m.telegramId, [{ secret: "KEY", envVar: "KEY" }]);
});

afterAll(async () => {
  await deps.stop();
  vi.unstubAllEnvs();
});

const credentials = () => call(route.GET, `/api/v1/worker/jobs/${job.jobId}/credentials`, { headers: bearer(job.token), params: { jobId: job.jobId } });
const UNAVAILABLE = { error: { code: "unavailable", message: "The service is temporarily unavailable. Try again shortly." } };


describe("worker credentials under infrastructure failure", () => {
  it("serves with no-store when everything is up", async () => {
    const res = await credentials();
    expect(res).toMatchObject({ status: 200, body: [{ env_var: "KEY", value: "infra-secret-value" }] });
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  for (const which of ["Redis", "Postgres"] as const) {
    it(`is 503 with the plain unavailable body when ${which} is unreachable, and serves again without a restart`, async () => {
      const proxy = which === "Redis" ? redisProxy : pgProxy;
      await proxy.close();
      try {
        for (const res of [
          await credentials(),
          await call(rotateRoute.POST, `/api/v1/worker/jobs/${job.jobId}/token/rotate`, { method: "POST", headers: bearer(job.token), params: { jobId: job.jobId } }),
          await call(jobsRoute.POST, "/api/v1/jobs", {
            method: "POST",
            headers: { ...bearer(job.serviceToken), "content-type": "application/json" },
            body: JSON.stringify({ user: { platform: "telegram", id: telegramId } }),
          }),
        ]) {
          expect(res.status).toBe(503);
          expect(res.body).toEqual(UNAVAILABLE);
          expect(res.text).not.toContain("infra-secret-value");
          expect(res.headers.get("cache-control")).toBe("no-store");
        }
      } finally {
        await proxy.open();
      }
      expect(await eventually(async () => (await credentials()).status === 200)).toBe(true);
    });
  }
});
