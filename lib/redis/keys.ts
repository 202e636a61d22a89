// Only hashes of ids go into keys; the `{…}` hash tag keeps keys used together in one Redis Cluster slot (SPEC §2).
export const redisKeys = {
  linkSession: (idHash: string) => `auth:session:{${idHash}}`,
  /** The newest link of one (workspace, user, purpose): only that one opens. */
  linkLatest: (purposeDigest: string) => `link:latest:{${purposeDigest}}`,
  portalSession: (idHash: string) => `portal:session:{${idHash}}`,
  userPortalSessions: (workspaceId: string, userId: string) => `portal:user-sessions:{${workspaceId}:${userId}}`,
  /** Every portal session of a workspace, for its admins' Sessions page (SPEC §13). */
  workspacePortalSessions: (workspaceId: string) => `portal:workspace-sessions:{${workspaceId}}`,
  adminSession: (idHash: string) => `admin:session:{${idHash}}`,
  /** Every admin session of a workspace, entries `<userId>:<idHash>`. */
  workspaceAdminSessions: (workspaceId: string) => `admin:workspace-sessions:{${workspaceId}}`,
  /** An admin sign-in this browser started at /admin: the callback must find it (once). */
  adminSignIn: (idHash: string) => `admin:sign-in:{${idHash}}`,
  /** A signed-in admin of several workspaces choosing one. */
  adminPending: (idHash: string) => `admin:pending:{${idHash}}`,
  oauthPending: (stateHash: string) => `oauth:pending:{${stateHash}}`,
  /** A connect or MCP-login authorization in progress (lib/connections/flow-state.ts). */
  oauthFlow: (stateHash: string) => `oauth:flow:{${stateHash}}`,
  /** The single-flight refresh of one connection: the lock, and the winner's outcome for those who waited. */
  connectionRefresh: (connectionId: string) => `connection:refresh:{${connectionId}}`,
  connectionRefreshOutcome: (connectionId: string, version: number) => `connection:refresh-outcome:{${connectionId}}:${version}`,
  rateLimit: (bucket: string, subject: string, window: number) => `ratelimit:${bucket}:{${subject}}:${window}`,
  slidingLimit: (bucket: string, subject: string) => `ratelimit:sliding:${bucket}:{${subject}}`,
  refusalNoted: (bucket: string, subject: string) => `ratelimit:noted:${bucket}:{${subject}}`,
  tokenLane: (tokenDigest: string) => `token:lane:{${tokenDigest}}`,
  tokenLaneEpoch: () => `token:lane-epoch`,
  telegramReplay: (hash: string) => `replay:telegram:{${hash}}`,
  lock: (name: string) => `lock:{${name}}`,
} as const;
