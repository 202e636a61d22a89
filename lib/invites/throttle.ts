// The budgets that stop code guessing (SPEC §13). The orchestrator's redemptions (a service token names the workspace)
// count per workspace only: one workspace's typos, or a flood through a shared orchestrator address, never refuse
// another workspace's codes. The Mini App's (the code alone names the workspace) count per client address and per
// Telegram user; without a trusted client address (TRUST_PROXY_HOPS=0) the address budget is skipped rather than
// shared by everyone. Each attempt takes its slots before anything is looked up, so concurrent guesses cannot overrun
// a budget; one that succeeds (or finds its user already a member) hands them back.
import "server-only";
import { getConfig } from "../config";
import { rateLimitSubject } from "../http/request";
import { log } from "../log";
import { takeRateLimitHit } from "../ratelimit/fixed-window";

export type RedeemScope = { workspaceId: string } | { redeemer: string };

export async function chargeRedeemAttempt({ ip, scope }: { ip: string; scope: RedeemScope }): Promise<{ refund: () => Promise<void> }> {
  const { invitePerIpPerMinute, invitePerWorkspacePerMinute } = getConfig().rateLimits;
  // A refused attempt keeps what it took: it is a failure, too.
  const address = "redeemer" in scope ? rateLimitSubject(ip) : null;
  const byIp = address ? await takeRateLimitHit({ bucket: "invite-ip", subject: address, limit: invitePerIpPerMinute }) : null;
  const subject = "workspaceId" in scope ? `workspace:${scope.workspaceId}` : `redeemer:${scope.redeemer}`;
  const byScope = await takeRateLimitHit({ bucket: "invite-scope", subject, limit: "workspaceId" in scope ? invitePerWorkspacePerMinute : invitePerIpPerMinute });
  return {
    refund: async () => {
      try {
        await Promise.all([byIp?.refund(), byScope.refund()]);
      } catch (err) {
        // The redemption committed; a Redis hiccup here only leaves the budget a little tighter for a minute.
        log.warn({ err }, "could not hand back an invite redemption's rate-limit slots");
      }
    },
  };
}
