// Who may do what in a workspace (SPEC §13): owner > admin > member. Only owners grant or remove the admin role,
// make owners, or issue admin invites; admins can do everything else on the admin pages; members none of it. The
// operator's CLI acts above every role (it runs with the deployment's own database access). One `canX` per action,
// for the pages, the admin routes and the CLI alike; the last-owner rule is the data's own (lib/members/roles).
import type { Role } from "@/generated/prisma/client";

export type Acting = Role | "operator";

/**
 * Who asks: the operator's CLI, or a signed-in user whose role the change reads under the workspace lock, in its own
 * transaction (a role read earlier, at the session check, may be gone by the time the change runs).
 */
export type Requester = "operator" | { userId: string };

const isAdminOrAbove = (r: Acting) => r === "operator" || r === "owner" || r === "admin";

/** Changing a member's role from `from` to `to`. */
export function canChangeRole(actor: Acting, { from, to }: { from: Role; to: Role }): boolean {
  if (actor === "operator" || actor === "owner") return true;
  // An admin may not touch the admin or owner role in either direction; member → member is no change at all.
  return actor === "admin" && from === "member" && to === "member";
}

/** Removing a member whose role is `target` (ending their sessions and jobs). */
export function canRemoveMember(actor: Acting, target: Role): boolean {
  if (actor === "operator" || actor === "owner") return true;
  return actor === "admin" && target === "member";
}

/** Creating an invite that grants `role`. */
export function canIssueInvite(actor: Acting, role: Exclude<Role, "owner">): boolean {
  if (actor === "operator" || actor === "owner") return true;
  return actor === "admin" && role === "member";
}

/** The admin console at all: members, invites, tokens, sessions, jobs, audit. */
export function canAdminister(actor: Acting): boolean {
  return isAdminOrAbove(actor);
}
