// Audit actions as words an admin reads at a glance; the action itself stays beside it for searching and filters.
const LABELS: Record<string, string> = {
  "workspace.created": "Workspace created",
  "member.added": "Member added",
  "member.removed": "Member removed",
  "member.role_changed": "Role changed",
  "link.created": "Link created",
  "link.opened": "Link opened",
  "link.rejected": "Link refused",
  "identity.bound": "Sign-in account linked",
  "identity.verified": "Sign-in account verified",
  "identity.mismatch": "Sign-in with another account refused",
  "portal.session.created": "Signed in to settings",
  "portal.session.revoked": "Settings session ended",
  "admin.session.created": "Signed in to the admin console",
  "admin.session.revoked": "Admin session ended",
  "telegram.session.created": "Signed in from Telegram",
  "secret.created": "Secret added",
  "secret.updated": "Secret replaced",
  "secret.deleted": "Secret deleted",
  "job.created": "Job started",
  "job.completed": "Job completed",
  "job.revoked": "Job revoked",
  "job.expired": "Job expired",
  "credentials.served": "Credentials served",
  "credentials.denied": "Credentials denied",
  "token.issued": "Token issued",
  "token.rotated": "Token rotated",
  "token.revoked": "Token revoked",
  "invite.created": "Invite created",
  "invite.revoked": "Invite revoked",
  "invite.redeemed": "Invite redeemed",
  "gateway.link.delivered": "Chat button delivered",
  "gateway.link.failed": "Chat button not delivered",
  "connection.connected": "Account connected",
  "connection.disconnected": "Account disconnected",
  "connection.refreshed": "Connection refreshed",
  "connection.needs_reconnect": "Connection needs a reconnect",
};

export function actionLabel(action: string): string {
  return LABELS[action] ?? action;
}

/** A few fields worth a glance (names, roles, reasons); never the whole data blob. */
export function dataSummary(action: string, data: Record<string, unknown>): string | null {
  const s = (k: string) => (typeof data[k] === "string" || typeof data[k] === "number" ? String(data[k]) : null);
  if (action === "member.role_changed") return `${s("from") ?? "?"} → ${s("to") ?? "?"}`;
  const parts = ["name", "role", "reason", "method", "type", "platform", "provider"].map((k) => (s(k) ? `${k}: ${s(k)}` : null)).filter(Boolean);
  const secrets = Array.isArray(data.secrets) ? data.secrets.filter((x): x is string => typeof x === "string") : [];
  if (secrets.length) parts.push(`secrets: ${secrets.slice(0, 5).join(", ")}${secrets.length > 5 ? "…" : ""}`);
  return parts.length ? parts.join(" · ") : null;
}
