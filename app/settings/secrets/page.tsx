import type { Metadata } from "next";
import { requirePortal } from "../_portal";
import { ComingSoon, PageHeading } from "../_ui";

export const metadata: Metadata = { title: "Secrets" };

export default async function SecretsPage() {
  await requirePortal();
  return (
    <>
      <PageHeading title="Secrets" description="API keys and tokens your agents may use on your behalf." />
      <ComingSoon what="Soon you can add, replace and delete secrets here. Values are encrypted at rest and never shown again." />
    </>
  );
}
