// SPEC §14: the app works through pgbouncer in transaction mode. This suite's "scaled" project runs every test
// through a real pgbouncer 1.18 (vitest.config.ts), which refuses any startup parameter beyond user and database;
// these tests pin the rest: the session defaults come from the database, and no statement is named.
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLinkSession } from "@/lib/links/sessions";
import { makeWorkspace } from "@/test/factories";
import { db } from "./client";

afterEach(() => vi.restoreAllMocks());

describe("through pgbouncer's transaction pooling", () => {
  it("is actually connected through pgbouncer", () => {
    expect(new URL(process.env.DATABASE_URL!).port).not.toBe("5432");
  });

  it("gets the statement timeout and UTF-8 from the database's own defaults, not from startup parameters", async () => {
    const [row] = await db.$queryRaw<{ timeout: string; encoding: string }[]>`SELECT current_setting('statement_timeout') AS timeout, current_setting('client_encoding') AS encoding`;
    expect(row).toEqual({ timeout: "10s", encoding: "UTF8" });
  });

  it("names no statement (a named one would outlive its transaction on a pooled server connection)", async () => {
    const named: string[] = [];
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, "query").mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as { name?: string; text?: string } | string;
      if (typeof first === "object" && first?.name) named.push(first.name);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as never);
    const ws = await makeWorkspace();
    await createLinkSession({ workspaceId: ws.workspaceId, userId: ws.ownerUserId, purpose: { kind: "settings" }, actor: { type: "system", id: "test" } });
    await db.$transaction(async (tx) => tx.membership.findMany({ where: { workspaceId: ws.workspaceId } }));
    expect(named).toEqual([]);
  });
});
