import type { Metadata } from "next";
import { requirePortal } from "../_portal";
import { ComingSoon, PageHeading } from "../_ui";

export const metadata: Metadata = { title: "Connections" };

export default async function ConnectionsPage() {
  await requirePortal();
  return (
    <>
      <PageHeading title="Connections" description="Third-party accounts and MCP servers you connect for your agents." />
      <ComingSoon what="Soon you can connect accounts with OAuth here; connected accounts become secrets you can grant to agents." />
    </>
  );
}
