// /api/admin/invites – the admin console's invites (SPEC §13): list (never a code or hash), and create one, whose
// code is in this response only. Only owners create admin invites (lib/permissions).
import { z } from "zod";
import { withAdmin } from "@/lib/auth/admin-session";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";
import { createInvite, listInvites } from "@/lib/invites/manage";
import { MAX_INVITE_LABEL, MAX_INVITE_USES } from "@/lib/invites/state";

const createRequest = z.strictObject({
  label: z.string().max(MAX_INVITE_LABEL).optional(),
  role: z.enum(["member", "admin"]).optional(),
  maxUses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
  expiresInDays: z.number().int().min(1).max(30).optional(),
});

export const GET = withAdmin(async (_req, { admin }) => json({ invites: await listInvites({ workspaceId: admin.workspace.id }) }));

export const POST = withAdmin(async (req, { admin, ip }) => {
  const input = await readJson(req, createRequest);
  const invite = await createInvite({
    workspaceId: admin.workspace.id,
    acting: { userId: admin.user.id },
    actor: { type: "admin", id: admin.user.id },
    label: input.label,
    role: input.role,
    maxUses: input.maxUses,
    expiresInSeconds: input.expiresInDays ? input.expiresInDays * 86400 : undefined,
    ip,
  });
  return json({ inviteId: invite.inviteId, code: invite.code, expiresAt: invite.expiresAt.toISOString() }, { status: 201 });
});

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
