import "server-only";
import { headers } from "next/headers";
import { unauthorized } from "next/navigation";
import { cache } from "react";
import { resolvePortal } from "@/lib/auth/portal-session";

/** The portal context for this request (once per render), or the 401 "open the link from your chat" page. */
export const requirePortal = cache(async () => {
  const context = await resolvePortal(await headers());
  if (!context) unauthorized();
  return context;
});
