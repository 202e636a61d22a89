// PUT/DELETE /api/portal/secrets/{name} — set (201 created / 200 replaced) or delete (204) one secret.
import { z } from "zod";
import { withPortalSession } from "@/lib/auth/portal-session";
import { readJson } from "@/lib/http/json-body";
import { json, noContent, otherMethods } from "@/lib/http/respond";
import { deleteSecret, putSecret } from "@/lib/secrets/store";

const body = z.strictObject({ value: z.string() });

export const PUT = withPortalSession(async (req, { portal, params, ip }) => {
  const { value } = await readJson(req, body);
  const owner = { workspaceId: portal.workspace.id, userId: portal.user.id };
  const { created } = await putSecret({ ...owner, name: params.name, value, actor: { type: "user", id: owner.userId }, ip });
  return json({ name: params.name, created }, { status: created ? 201 : 200 });
});

export const DELETE = withPortalSession(async (_req, { portal, params, ip }) => {
  const owner = { workspaceId: portal.workspace.id, userId: portal.user.id };
  await deleteSecret({ ...owner, name: params.name, actor: { type: "user", id: owner.userId }, ip });
  return noContent();
});

export const { GET, HEAD, POST, PATCH, OPTIONS } = otherMethods("PUT", "DELETE");
