// POST /api/v1/invites/redeem — the orchestrator redeems an invite code of its workspace for a chat user (SPEC §13).
import { redeemInviteRequest, type RedeemedInviteResponse } from "@/lib/api/v1-schemas";
import { withServiceToken } from "@/lib/auth/service-token";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { redeemInvite } from "@/lib/invites/redeem";

export const POST = withServiceToken(async (req, { principal, ip }) => {
  const input = await readJson(req, redeemInviteRequest);
  const redeemed = await redeemInvite({
    workspaceId: principal.workspaceId,
    code: input.code,
    user: input.user,
    ip,
    actor: { type: "service", id: principal.tokenId },
  });
  return json(redeemed satisfies RedeemedInviteResponse, { status: 201 });
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
