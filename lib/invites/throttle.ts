// The budgets that stop code guessing (SPEC §13): failed redemptions per client address and per workspace (from the
// Mini App, where the code alone names the workspace, per Telegram user instead). Each attempt takes its slots before
// anything is looked up, so concurrent guesses cannot overrun a budget; one that succeeds (or finds its user already a
// member) hands them back, so a busy orchestrator is never limited for redemptions that work.
import "server-only";
import { getConfig } from "../config";
import { rateLimitSubject } from "../http/request";
import { log } from "../log";
import { takeRateLimitHit } from "../ratelimit/fixed-window";

export type RedeemScope = { workspaceId: string } | { redeemer: string };

export async function chargeRedeemAttempt({ ip, scope }: { ip: string; scope: RedeemScope }): Promise<{ refund: () => Promise<void> }> {
  const { invitePerIpPerMinute, invitePerWorkspacePerMinute } = getConfig().rateLimits;
  // A refused attempt keeps what it took: it is a failure, too.
  const byIp = await takeRateLimitHit({ bucket: "invite-ip", subject: rateLimitSubject(ip) ?? ip, limit: invitePerIpPerMinute });
  const subject = "workspaceId" in scope ? `workspace:${scope.workspaceId}` : `redeemer:${scope.redeemer}`;
  const byScope = await takeRateLimitHit({ bucket: "invite-scope", subject, limit: invitePerWorkspacePerMinute });
  return {
    refund: async () => {
      try {
        await Promise.all([byIp.refund(), byScope.refund()]);
      } catch (err) {
        // The redemption committed; a Redis hiccup here only leaves the budget a little tighter for a minute.
        log.warn({ err }, "could not hand back an invite redemption's rate-limit slots");
      }
    },
  };
}
