// next-auth v5 for signing in to the admin console at /admin (SPEC §13): a configuration of its own (base path,
// provider id, redirect URI and cookie names), so nothing of an admin sign-in can stand in for a settings link's
// identity check, nor the reverse. Same identity provider as the settings links: the subject must already be bound
// (by a settings link) to an owner or admin. Its JWT only carries that subject to /admin/callback, which clears it.
import NextAuth from "next-auth";
import { identityProvider } from "@/auth";
import { ADMIN_SIGN_IN_ERROR_PATH, nextAuthLogger } from "@/lib/auth/next-auth-input";
import { getConfig, pinAuthUrl } from "@/lib/config";

export const ADMIN_AUTH_BASE_PATH = "/api/admin-auth";
export const ADMIN_PROVIDER_ID = "admin";

// `__Host-` on https (Path=/, no Domain): no sibling domain can plant or shadow them.
function cookieNames(secure: boolean) {
  const prefix = secure ? "__Host-" : "";
  const options = { httpOnly: true, sameSite: "lax" as const, path: "/", secure };
  return {
    sessionToken: { name: `${prefix}gh_admin_auth.session-token`, options },
    callbackUrl: { name: `${prefix}gh_admin_auth.callback-url`, options },
    csrfToken: { name: `${prefix}gh_admin_auth.csrf-token`, options },
    pkceCodeVerifier: { name: `${prefix}gh_admin_auth.pkce.code_verifier`, options: { ...options, maxAge: 900 } },
    state: { name: `${prefix}gh_admin_auth.state`, options: { ...options, maxAge: 900 } },
    nonce: { name: `${prefix}gh_admin_auth.nonce`, options },
  };
}

export const {
  handlers: adminAuthHandlers,
  auth: adminAuth,
  signIn: adminSignIn,
  signOut: adminSignOut,
} = NextAuth(() => {
  const config = getConfig();
  pinAuthUrl(config.publicUrl);
  return {
    secret: config.authSecret,
    trustHost: true,
    basePath: ADMIN_AUTH_BASE_PATH,
    useSecureCookies: config.secureCookies,
    cookies: cookieNames(config.secureCookies),
    session: { strategy: "jwt", maxAge: 600 },
    providers: identityProvider(ADMIN_PROVIDER_ID),
    pages: { signIn: "/admin", error: ADMIN_SIGN_IN_ERROR_PATH },
    logger: nextAuthLogger,
    callbacks: {
      jwt({ token, account }) {
        if (account?.provider === ADMIN_PROVIDER_ID) {
          token.adminSubject = account.providerAccountId;
          token.adminAt = Date.now();
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, adminSubject: token.adminSubject as string | undefined, adminAt: token.adminAt as number | undefined };
      },
    },
  };
});
