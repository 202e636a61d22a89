// next-auth v5 as the OAuth/OIDC client that proves a settings-link opener's identity (SPEC §3).
// Its JWT session only carries the provider subject from the callback to /settings/callback, which turns it
// into a portal session and clears it; it never authorises anything on its own.
import NextAuth from "next-auth";
import type { OAuthConfig } from "next-auth/providers";
import { getConfig, pinAuthUrl } from "@/lib/config";
import { IDENTITY_ERROR_PATH, nextAuthLogger, SIGN_IN_PATH } from "@/lib/auth/next-auth-input";

type Profile = Record<string, unknown>;

function subjectOf(profile: Profile): string {
  const sub = profile.sub ?? profile.id;
  if ((typeof sub !== "string" && typeof sub !== "number") || String(sub) === "") {
    // Without this, Auth.js would invent a random id and we would bind garbage.
    throw new Error("The identity provider returned no subject.");
  }
  return String(sub);
}

/** The settings identity provider (SPEC §3) as a next-auth provider with this id; none when it is not configured. */
export function identityProvider(id: string): OAuthConfig<Profile>[] {
  const oauth = getConfig().settingsOAuth;
  if (!oauth) return [];
  const common = {
    id,
    name: oauth.providerName,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    checks: ["pkce", "state"] as ("pkce" | "state")[],
    profile: (p: Profile) => ({
      id: subjectOf(p),
      name: typeof p.name === "string" ? p.name : typeof p.login === "string" ? p.login : null,
      email: typeof p.email === "string" ? p.email : null,
    }),
  };
  if (oauth.issuer) {
    return [{ ...common, type: "oidc", issuer: oauth.issuer, authorization: { params: { scope: oauth.scopes } } }];
  }
  return [
    {
      ...common,
      type: "oauth",
      authorization: { url: oauth.authorizationUrl, params: { scope: oauth.scopes } },
      token: oauth.tokenUrl,
      userinfo: oauth.userinfoUrl,
    },
  ];
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => {
  const config = getConfig();
  pinAuthUrl(config.publicUrl);
  return {
    secret: config.authSecret,
    trustHost: true,
    basePath: "/api/auth",
    useSecureCookies: config.secureCookies,
    session: { strategy: "jwt", maxAge: 600 },
    providers: identityProvider("settings"),
    pages: { signIn: SIGN_IN_PATH, error: IDENTITY_ERROR_PATH },
    // next-auth would log through console.error, around our redaction, with a stack per refused request.
    logger: nextAuthLogger,
    callbacks: {
      jwt({ token, account }) {
        if (account?.provider === "settings") {
          token.settingsSubject = account.providerAccountId;
          token.settingsAt = Date.now();
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, settingsSubject: token.settingsSubject as string | undefined, settingsAt: token.settingsAt as number | undefined };
      },
    },
  };
});
