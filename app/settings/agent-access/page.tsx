import type { Metadata } from "next";
import { requirePortal } from "../_portal";
import { ComingSoon, PageHeading } from "../_ui";

export const metadata: Metadata = { title: "Agent access" };

export default async function AgentAccessPage() {
  await requirePortal();
  return (
    <>
      <PageHeading title="Agent access" description="Running agent jobs and the secrets you granted them." />
      <ComingSoon what="Soon you can see each running job, what it was granted, when it expires, and revoke its access at once." />
    </>
  );
}
