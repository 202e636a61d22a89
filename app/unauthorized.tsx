import type { Metadata } from "next";
import { headers } from "next/headers";
import { AREA_HEADER } from "@/lib/http/request";
import { AdminSignIn } from "./admin/_sign-in";
import { StandaloneCard } from "./_lib/standalone-card";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await headers()).get(AREA_HEADER) === "admin" ? "Sign in to the admin console" : "Open your settings link" };
}

// 401 for /settings without a valid session. Deliberately no sign-in form: access starts from chat. Under /admin, the
// admin console's sign-in (proxy.ts names the area).
export default async function Unauthorized() {
  if ((await headers()).get(AREA_HEADER) === "admin") return <AdminSignIn />;
  return (
    <StandaloneCard title="Open the settings link from your chat">
      <p className="mt-3 text-slate-700">
        Your settings open from a one-time link that your agent sends you in Telegram or Slack. Ask your agent for
        &ldquo;settings&rdquo; and tap the button it sends.
      </p>
      <p className="mt-3 text-sm text-slate-600">If you were signed in before, your session has ended or was signed out.</p>
    </StandaloneCard>
  );
}
