import { expect, test } from "@playwright/test";

test("GET /api/health is 200", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

test("GET /api/ready is 200 with both dependencies ok and is never cached", async ({ request }) => {
  const res = await request.get("/api/ready");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ db: "ok", redis: "ok" });
  expect(res.headers()["cache-control"]).toBe("no-store");
});

test("the production server sends no framework banner", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.headers()["x-powered-by"]).toBeUndefined();
});
