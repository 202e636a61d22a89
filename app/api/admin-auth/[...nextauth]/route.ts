// The admin sign-in's next-auth endpoints (admin-auth.ts), behind the same input checks as the settings ones.
import { adminAuthHandlers } from "@/admin-auth";
import { ADMIN_PAGES, guardNextAuth } from "@/lib/auth/next-auth-input";
import { otherMethods } from "@/lib/http/respond";

export const GET = guardNextAuth(adminAuthHandlers.GET, ADMIN_PAGES);
export const POST = guardNextAuth(adminAuthHandlers.POST, ADMIN_PAGES);
const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
export { PUT, PATCH, DELETE };
