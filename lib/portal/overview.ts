// The portal's Overview: a read across domains, each asked through its own functions (never its tables).
import "server-only";
import type { Role } from "@/generated/prisma/client";
import { listSignIns } from "../audit/list";
import { getSettingsAccount, type SettingsAccount } from "../identity/bindings";
import { listPlatformIdentities } from "../identity/users";
import { countRunningJobs } from "../jobs/lifecycle";
import { getMembership } from "../members/membership";
import { countSecrets } from "../secrets/store";
import { listPortalSessions, type PortalSession } from "./sessions";

export type PortalOverview = {
  counts: { secrets: number; runningJobs: number; sessions: number };
  role: Role | null;
  chatAccounts: { platform: string; externalId: string }[];
  settingsAccount: SettingsAccount;
  /** This session's sign-in, and the one before it (from the audit log), if any. */
  thisSignIn: { at: Date; method: PortalSession["method"] };
  previousSignIn: { at: Date; method: string | null; ip: string | null } | null;
};

export async function getPortalOverview({ workspaceId, userId, session }: { workspaceId: string; userId: string; session: PortalSession }): Promise<PortalOverview> {
  const owner = { workspaceId, userId };
  const [secrets, runningJobs, sessions, membership, chatAccounts, settingsAccount, signIns] = await Promise.all([
    countSecrets(owner),
    countRunningJobs(owner),
    listPortalSessions(owner),
    getMembership(owner),
    listPlatformIdentities(userId),
    getSettingsAccount(userId),
    listSignIns({ ...owner, limit: 5 }),
  ]);
  // Sign-in events name their session by the first 16 hex digits of its hash (the ref): skip this one's.
  const previous = signIns.find((s) => s.session !== session.ref.slice(0, 16)) ?? null;
  return {
    counts: { secrets, runningJobs, sessions: sessions.length },
    role: membership?.role ?? null,
    chatAccounts,
    settingsAccount,
    thisSignIn: { at: new Date(session.createdAt), method: session.method },
    previousSignIn: previous && { at: previous.at, method: previous.method, ip: previous.ip },
  };
}
