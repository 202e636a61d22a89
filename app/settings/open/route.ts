// POST /settings/open (form: s=<id>) – consumes the link exactly once, then opens the portal or hands over
// to the identity provider. The browser never sees `s` in a URL after this.
import { signIn } from "@/auth";
import { adminCookie, pendingCookie, portalCookie } from "@/lib/auth/cookies";
import { openLink } from "@/lib/flows/settings-link";
import { AppError } from "@/lib/errors";
import { readForm } from "@/lib/http/body";
import { PENDING_TTL_SECONDS } from "@/lib/links/pending";
import { withLinkPage } from "../../_lib/link-page";
import { LINK_PAGE_HEADERS } from "../../_lib/html";

export const dynamic = "force-dynamic";

// The interstitial's form: the link id and, inside Telegram, its initData (≤ 4 KiB, up to three times that
// percent-encoded). Anything else — another field, a field twice, an id far too long — is malformed.
const FIELD_LIMITS: Record<string, number> = { s: 128, tg: 4096 };

async function continueForm(req: Request): Promise<URLSearchParams> {
  const form = await readForm(req, 16_384);
  const keys = [...form.keys()];
  if (new Set(keys).size !== keys.length) throw new AppError("bad_request");
  for (const [key, value] of form) {
    const limit = FIELD_LIMITS[key];
    if (limit === undefined || value.length > limit) throw new AppError("bad_request");
  }
  return form;
}

export const POST = withLinkPage(async (req, caller) => {
  const form = await continueForm(req);
  const result = await openLink({ id: form.get("s"), initData: form.get("tg"), ...caller });

  const headers = new Headers(LINK_PAGE_HEADERS);
  if (result.next === "portal") {
    headers.set("Location", result.landing);
    // Opened inside Telegram: Telegram Web shows the page in a cross-site iframe, where only an embedded cookie sticks.
    headers.append(
      "Set-Cookie",
      result.cookie === "admin"
        ? adminCookie.serialize(result.sessionId, result.maxAgeSeconds)
        : portalCookie.serialize(result.sessionId, result.maxAgeSeconds, { embedded: result.verifiedBy === "telegram" }),
    );
  } else {
    headers.set("Location", await signIn("settings", { redirect: false, redirectTo: "/settings/callback" }));
    headers.append("Set-Cookie", pendingCookie.serialize(result.pendingId, PENDING_TTL_SECONDS));
  }
  return new Response(null, { status: 303, headers });
});
