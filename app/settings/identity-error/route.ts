// next-auth's error page (cancelled or failed sign-in at the identity provider). The link was spent on Continue,
// so the pending sign-in it started is dropped here too and the page says the link is used up.
import { pendingCookie } from "@/lib/auth/cookies";
import { SIGN_IN_CANCELLED } from "@/lib/auth/next-auth-input";
import { pages } from "../../_lib/html";

export const dynamic = "force-dynamic";

export function GET(req: Request) {
  const linkUsed = pendingCookie.read(req.headers) !== undefined;
  const cancelled = new URL(req.url).searchParams.get("error") === SIGN_IN_CANCELLED;
  const res = cancelled ? pages.signInCancelled({ linkUsed }) : pages.signInFailed();
  res.headers.append("Set-Cookie", pendingCookie.clear());
  return res;
}
