import type { Metadata } from "next";
import { headers } from "next/headers";
import { unauthorized } from "next/navigation";
import { adminPendingCookie } from "@/lib/auth/cookies";
import { describeAdminChoice } from "@/lib/flows/admin-sign-in";
import { StandaloneCard } from "../../_lib/standalone-card";

export const metadata: Metadata = { title: "Choose a workspace" };
export const dynamic = "force-dynamic";

export default async function ChooseWorkspace() {
  const choices = await describeAdminChoice(adminPendingCookie.read(await headers()));
  if (!choices?.length) unauthorized();
  return (
    <StandaloneCard title="Choose a workspace">
      <p className="mt-3 text-slate-700">You are an owner or admin of several workspaces. Which one do you want to manage?</p>
      <ul className="mt-6 space-y-2">
        {choices.map((w) => (
          <li key={w.id}>
            <form method="post" action="/admin/choose/submit">
              <input type="hidden" name="workspace" value={w.id} />
              <button type="submit" className="flex w-full items-center justify-between rounded-lg border border-slate-300 px-4 py-3 text-left font-medium hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-indigo-700">
                <span>{w.name}</span>
                <span className="text-sm text-slate-600">{w.role}</span>
              </button>
            </form>
          </li>
        ))}
      </ul>
    </StandaloneCard>
  );
}
