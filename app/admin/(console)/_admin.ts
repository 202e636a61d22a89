import "server-only";
import { headers } from "next/headers";
import { forbidden, unauthorized } from "next/navigation";
import { cache } from "react";
import { requireAdminContext } from "@/lib/auth/admin-session";
import { isAppError } from "@/lib/errors";

/** The signed-in admin for this request (once per render); the sign-in page (401) or the not-an-admin page (403). */
export const requireAdmin = cache(async () => {
  try {
    return await requireAdminContext(await headers());
  } catch (err) {
    if (isAppError(err) && err.code === "unauthorized") unauthorized();
    if (isAppError(err) && err.code === "forbidden") forbidden();
    throw err;
  }
});

/** `?done=` / `?error=` of the last form post, as the page's status message; anything else shows nothing. */
export async function statusFrom(searchParams: Promise<Record<string, string | string[] | undefined>>, messages: Record<string, string>) {
  const q = await searchParams;
  const key = typeof q.done === "string" ? q.done : typeof q.error === "string" ? q.error : undefined;
  const text = key ? messages[key] : undefined;
  return text ? { tone: typeof q.done === "string" ? ("success" as const) : ("error" as const), text } : null;
}
