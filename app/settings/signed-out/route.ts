// GET /settings/signed-out – where Sign out lands: says it worked and how to get back in. It needs no session
// (it has just ended), so it is a standalone page like the link pages, outside the portal layout.
import { html, renderPage } from "../../_lib/html";

export const dynamic = "force-dynamic";

export function GET() {
  return renderPage({
    status: 200,
    tone: "ok",
    title: "You are signed out",
    body: html`<p>Your Gatehouse settings are closed in this browser. Nothing else changed: your secrets and your agents' jobs are as you left them.</p>
<p>To open your settings again, ask your agent for a new settings link in your chat and tap the button it sends.</p>
<p class="fine">Signed in somewhere else too? Those sessions stay open until they time out; end them under Sessions the next time you are in.</p>`,
  });
}
