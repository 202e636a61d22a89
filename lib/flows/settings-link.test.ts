import { afterAll, describe, expect, it } from "vitest";
import { makeMember, makeWorkspace } from "@/test/factories";
import { closeLazyClients } from "../lazy";
import { createSettingsLinkFor } from "../links/for-identity";
import { describeLink } from "./settings-link";
import { removeMember } from "./member-removal";

afterAll(closeLazyClients);

const actor = { type: "system" as const, id: "test" };

describe("describeLink (the interstitial)", () => {
  it("names the member and workspace, and nobody once the membership is gone", async () => {
    const { workspaceId } = await makeWorkspace();
    const m = await makeMember(workspaceId);
    const { id } = await createSettingsLinkFor({ workspaceId, identity: { platform: "telegram", externalId: m.telegramId }, actor });
    expect(await describeLink(id)).toMatchObject({ userName: expect.any(String), workspaceName: expect.any(String) });
    await removeMember({ workspaceId, userId: m.userId, acting: "operator", actor });
    expect(await describeLink(id)).toBeNull();
  });
});
