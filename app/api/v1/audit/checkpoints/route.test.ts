// GET /api/v1/audit/checkpoints through the route: a service token sees its own workspace's checkpoints only,
// oldest first, page by page, each verifiable with the public key `gatehouse audit public-key` prints.
import { afterAll, describe, expect, it } from "vitest";
import { signingIdentity } from "@/lib/audit/checkpoint";
import { checkpointHead } from "@/lib/audit/checkpoint-sweep";
import { appendAuditEvent } from "@/lib/audit";
import { parsePublicKey, verifyClaim } from "@/lib/audit/signing";
import { closeLazyClients } from "@/lib/lazy";
import { makeJob, makeWorkspace } from "@/test/factories";
import { bearer, call } from "@/test/http/routes";
import * as route from "./route";

afterAll(closeLazyClients);

type Page = { checkpoints: { workspaceId: string; seq: number; hash: string; signature: string; keyId: string; createdAt: string }[]; nextAfter: number | null };

/** makeWorkspace and makeJob record 4 events; each of ours is then signed, so checkpoints sit at 5, 6, … */
async function signedWorkspace(heads: number) {
  const { workspaceId, ownerTelegramId } = await makeWorkspace();
  const { serviceToken } = await makeJob(workspaceId, ownerTelegramId);
  for (let i = 0; i < heads; i++) {
    await appendAuditEvent({ workspaceId, actor: { type: "system", id: "test" }, action: "test.appended" });
    await checkpointHead(workspaceId);
  }
  return { workspaceId, serviceToken };
}

const get = (token: string, query = "") => call(route.GET, `/api/v1/audit/checkpoints${query}`, { headers: bearer(token) });

describe("GET /api/v1/audit/checkpoints", () => {
  it("pages through the token's workspace's checkpoints, oldest first, and each verifies with the public key", async () => {
    const mine = await signedWorkspace(5);
    const theirs = await signedWorkspace(2);
    const first = await get(mine.serviceToken, "?limit=2");
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    const page1 = first.body as Page;
    expect(page1.checkpoints.map((c) => c.seq)).toEqual([5, 6]);
    expect(page1.nextAfter).toBe(6);
    const page2 = (await get(mine.serviceToken, `?after=${page1.nextAfter}&limit=2`)).body as Page;
    const page3 = (await get(mine.serviceToken, `?after=${page2.nextAfter}&limit=2`)).body as Page;
    expect([...page2.checkpoints, ...page3.checkpoints].map((c) => c.seq)).toEqual([7, 8, 9]);
    expect(page3.nextAfter).toBeNull();

    const key = parsePublicKey(signingIdentity()!.publicKey)!;
    for (const c of [...page1.checkpoints, ...page2.checkpoints, ...page3.checkpoints]) {
      expect(c.workspaceId).toBe(mine.workspaceId);
      expect(c.keyId).toBe(signingIdentity()!.keyId);
      expect(verifyClaim(key, { workspaceId: c.workspaceId, seq: c.seq, hash: c.hash }, c.signature)).toBe(true);
    }
    const others = (await get(theirs.serviceToken)).body as Page;
    expect(others.checkpoints.map((c) => [c.workspaceId, c.seq])).toEqual([
      [theirs.workspaceId, 5],
      [theirs.workspaceId, 6],
    ]);
  });

  it("answers 401 without a live service token and 400 for bad paging", async () => {
    const { serviceToken } = await signedWorkspace(1);
    expect((await call(route.GET, "/api/v1/audit/checkpoints")).status).toBe(401);
    for (const q of ["?limit=0", "?limit=1001", "?after=x", "?after=1&after=2", "?workspaceId=00000000-0000-4000-8000-000000000000"]) {
      const res = await get(serviceToken, q);
      expect(res.status, q).toBe(400);
      expect(res.body).toMatchObject({ error: { code: "validation_failed", details: { fields: expect.any(Object) } } });
    }
  });
});
