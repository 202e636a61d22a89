// GET /settings?s=<id> (rewritten here by proxy.ts) – the interstitial. Never consumes the link: chat
// link-preview bots fetch it first. Unknown, used and expired links get the same 410 page.
import { describeLink } from "@/lib/flows/settings-link";
import { LINK_ID_HEADER } from "@/lib/http/request";
import { withLinkPage } from "../../_lib/link-page";
import { html, pages, renderPage } from "../../_lib/html";

export const dynamic = "force-dynamic";

export const GET = withLinkPage(async (req) => {
  const id = req.headers.get(LINK_ID_HEADER);
  const link = await describeLink(id);
  if (!link) return pages.expired();
  const minutes = Math.max(1, Math.round((link.expiresAt.getTime() - Date.now()) / 60_000));
  return renderPage({
    status: 200,
    tone: "ok",
    title: "Open your settings",
    body: html`<p>This link opens the Gatehouse settings of <strong>${link.userName}</strong> in the workspace <strong>${link.workspaceName}</strong>.</p>
<form method="post" action="/settings/open"><input type="hidden" name="s" value="${id}"><button type="submit">Continue</button></form>
<p class="fine">The link works once and expires in about ${minutes} minute${minutes === 1 ? "" : "s"}. If you did not ask your agent for it, close this page.</p>`,
  });
});
