import { afterAll, describe, expect, it } from "vitest";
import { makeWorkspace } from "@/test/factories";
import { closeLazyClients } from "../lazy";
import { listUserActivity, parseSeqCursor } from "./list";

afterAll(closeLazyClients);

describe("activity pagination cursors", () => {
  it.each(["2147483648", "1e300", "9007199254740993", "-1", "0", "1.5", " 5", "abc", "", "99999999999"])("ignores %j", (raw) => {
    expect(parseSeqCursor(raw)).toBeUndefined();
  });

  it("accepts whole numbers up to the column's range", () => {
    expect(parseSeqCursor("1")).toBe(1);
    expect(parseSeqCursor("2147483647")).toBe(2147483647);
    expect(parseSeqCursor(["3"])).toBeUndefined();
  });

  it("never lets an out-of-range cursor reach the query", async () => {
    const { workspaceId, ownerUserId } = await makeWorkspace();
    for (const beforeSeq of [2147483648, 1e300, Number.MAX_SAFE_INTEGER + 2, Number.NaN, -5]) {
      await expect(listUserActivity({ workspaceId, userId: ownerUserId, beforeSeq })).resolves.toMatchObject({ events: expect.any(Array) });
    }
  });
});
