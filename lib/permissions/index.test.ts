// The permission matrix of SPEC §13, every cell written out: owner > admin > member, with the operator's CLI above
// every role. A change here is a change to the product's rules, so the table is the spec, not a derivation of the code.
import { describe, expect, it } from "vitest";
import type { Role } from "@/generated/prisma/client";
import { canAdminister, canChangeRole, canIssueInvite, canRemoveMember, type Acting } from "./index";

const ACTORS: Acting[] = ["operator", "owner", "admin", "member"];
const ROLES: Role[] = ["owner", "admin", "member"];

describe("permissions (SPEC §13)", () => {
  it("the admin console: operator, owners and admins; never members", () => {
    expect(ACTORS.filter(canAdminister)).toEqual(["operator", "owner", "admin"]);
  });

  // [actor, from, to] → allowed. Only owners grant or remove the admin role or make owners; admins change nothing.
  const roleChanges: [Acting, Role, Role, boolean][] = [];
  for (const actor of ACTORS)
    for (const from of ROLES)
      for (const to of ROLES) {
        const allowed = actor === "operator" || actor === "owner" ? true : actor === "admin" ? from === "member" && to === "member" : false;
        roleChanges.push([actor, from, to, allowed]);
      }
  it.each(roleChanges)("%s changing %s → %s: %s", (actor, from, to, allowed) => {
    expect(canChangeRole(actor, { from, to })).toBe(allowed);
  });

  const removals: [Acting, Role, boolean][] = [
    ["operator", "owner", true],
    ["operator", "admin", true],
    ["operator", "member", true],
    ["owner", "owner", true],
    ["owner", "admin", true],
    ["owner", "member", true],
    ["admin", "owner", false],
    ["admin", "admin", false],
    ["admin", "member", true],
    ["member", "owner", false],
    ["member", "admin", false],
    ["member", "member", false],
  ];
  it.each(removals)("%s removing a %s: %s", (actor, target, allowed) => {
    expect(canRemoveMember(actor, target)).toBe(allowed);
  });

  const invites: [Acting, "admin" | "member", boolean][] = [
    ["operator", "admin", true],
    ["operator", "member", true],
    ["owner", "admin", true],
    ["owner", "member", true],
    ["admin", "admin", false],
    ["admin", "member", true],
    ["member", "admin", false],
    ["member", "member", false],
  ];
  it.each(invites)("%s issuing (or revoking) a %s invite: %s", (actor, role, allowed) => {
    expect(canIssueInvite(actor, role)).toBe(allowed);
  });
});
