import type { Metadata } from "next";
import { StandaloneCard } from "./_lib/standalone-card";

export const metadata: Metadata = { title: "Not an admin" };

// 403 for the admin console: a member who is not an owner or admin, or an admin whose role just went.
export default function Forbidden() {
  return (
    <StandaloneCard title="The admin console is for owners and admins" alert>
      <p className="mt-3 text-slate-700">
        Your account is not an owner or admin of this workspace, so the admin console is closed to you. If your role was
        just changed, your admin session has ended.
      </p>
      <p className="mt-3 text-slate-700">Ask an owner of the workspace to make you an admin, then open a new admin link.</p>
    </StandaloneCard>
  );
}
