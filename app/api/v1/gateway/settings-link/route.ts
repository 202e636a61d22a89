// POST /api/v1/gateway/settings-link — a worker asks for a settings (or admin) button in its owner's chat.
import { settingsLinkRequest } from "@/lib/api/v1-schemas";
import { withJobToken } from "@/lib/auth/job-token";
import { requestLink } from "@/lib/gateway/request-link";
import { readJson } from "@/lib/http/json-body";
import { json, otherMethods } from "@/lib/http/respond";

export const POST = withJobToken({ jobParam: null, requireRunning: true }, async (req, { job, ip }) => {
  const { section, reason } = await readJson(req, settingsLinkRequest);
  const purpose = section === "admin" ? ({ kind: "admin" } as const) : ({ kind: "settings", ...(section ? { section } : {}) } as const);
  return json(await requestLink({ job, purpose, reason, ip }));
});

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
