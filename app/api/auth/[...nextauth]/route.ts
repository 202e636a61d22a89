// next-auth's endpoints, behind the input checks that keep hostile callbackUrl values from becoming 500s.
import { handlers } from "@/auth";
import { guardNextAuth } from "@/lib/auth/next-auth-input";
import { otherMethods } from "@/lib/http/respond";

export const GET = guardNextAuth(handlers.GET);
export const POST = guardNextAuth(handlers.POST);
const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
export { PUT, PATCH, DELETE };
