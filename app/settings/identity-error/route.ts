// next-auth's error page (cancelled or failed sign-in at the identity provider).
import { pages } from "../../_lib/html";

export const dynamic = "force-dynamic";

export function GET() {
  return pages.signInFailed();
}
