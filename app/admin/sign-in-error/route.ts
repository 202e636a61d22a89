// next-auth's error page for the admin sign-in (cancelled or failed at the identity provider).
import { SIGN_IN_CANCELLED } from "@/lib/auth/next-auth-input";
import { html, renderPage } from "../../_lib/html";

export const dynamic = "force-dynamic";

export function GET(req: Request) {
  const cancelled = new URL(req.url).searchParams.get("error") === SIGN_IN_CANCELLED;
  return renderPage({
    status: 401,
    tone: "warn",
    title: cancelled ? "Sign-in was cancelled" : "Sign-in did not work",
    body: html`<p>${cancelled ? "You cancelled the sign-in, so nothing changed." : "The identity provider did not confirm who you are, so nothing changed."}</p><p><a href="/admin">Try signing in to the admin console again</a>.</p>`,
  });
}
