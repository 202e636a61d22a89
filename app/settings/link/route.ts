// GET /settings?s=<id> (rewritten here by proxy.ts) – the interstitial. Never consumes the link: chat
// link-preview bots fetch it first. Unknown, used, superseded and expired links get the same 410 page.
import { describeLink } from "@/lib/flows/settings-link";
import type { LinkPurpose } from "@/lib/links/purpose";
import { LINK_ID_HEADER } from "@/lib/http/request";
import { withLinkPage } from "../../_lib/link-page";
import { html, pages, renderPage, type Raw } from "../../_lib/html";

export const dynamic = "force-dynamic";

// Inside Telegram (the `web_app` button) the page is given signed initData: from Telegram.WebApp when its script is
// present, otherwise in the #tgWebAppData= fragment, which never reaches a server. Continue carries it so Gatehouse
// can check that the person opening the link is the one it was sent to (SPEC §7).
const TELEGRAM_OPENER = `(function(){try{var d=window.Telegram&&window.Telegram.WebApp&&window.Telegram.WebApp.initData;
if(!d){var h=new URLSearchParams(location.hash.slice(1));d=h.get("tgWebAppData")||"";}
if(d){var f=document.getElementById("tg");if(f)f.value=d;}}catch(e){}})();`;

function whatItOpens(purpose: LinkPurpose, user: string, workspace: string): { title: string; body: Raw } {
  switch (purpose.kind) {
    case "admin":
      return { title: "Open the admin console", body: html`<p>This link opens the admin console of <strong>${workspace}</strong> for <strong>${user}</strong>.</p>` };
    case "connect":
      return {
        title: "Connect an account",
        body: html`<p>This link connects a <strong>${purpose.provider}</strong> account for <strong>${user}</strong> in the workspace <strong>${workspace}</strong>.</p>`,
      };
    case "mcp":
      return {
        title: "Sign in to an MCP server",
        body: html`<p>This link signs <strong>${user}</strong> in to the MCP server <strong>${new URL(purpose.server).host}</strong> for the workspace <strong>${workspace}</strong>.</p>`,
      };
    case "settings":
      return { title: "Open your settings", body: html`<p>This link opens the Gatehouse settings of <strong>${user}</strong> in the workspace <strong>${workspace}</strong>.</p>` };
  }
}

export const GET = withLinkPage(async (req) => {
  const id = req.headers.get(LINK_ID_HEADER);
  const link = await describeLink(id);
  if (!link) return pages.expired();
  const minutes = Math.max(1, Math.round((link.expiresAt.getTime() - Date.now()) / 60_000));
  const { title, body } = whatItOpens(link.purpose, link.userName, link.workspaceName);
  const nonce = req.headers.get("x-nonce");
  return renderPage({
    status: 200,
    tone: "ok",
    title,
    body: html`${body}
<form method="post" action="/settings/open"><input type="hidden" name="s" value="${id}"><input type="hidden" name="tg" id="tg" value=""><button type="submit">Continue</button></form>
<p class="fine">The link works once and expires in about ${minutes} minute${minutes === 1 ? "" : "s"}. If you did not ask your agent for it, close this page.</p>`,
    ...(nonce ? { script: { nonce, source: TELEGRAM_OPENER } } : {}),
  });
});
