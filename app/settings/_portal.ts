import "server-only";
import { cookies } from "next/headers";
import { unauthorized } from "next/navigation";
import { cache } from "react";
import { loadPortalContext } from "@/lib/portal/context";
import { portalCookieName } from "@/lib/auth/cookies";

/** The portal context for this request (once per render), or the 401 "open the link from your chat" page. */
export const requirePortal = cache(async () => {
  const jar = await cookies();
  const context = await loadPortalContext(jar.get(portalCookieName())?.value);
  if (!context) unauthorized();
  return context;
});
