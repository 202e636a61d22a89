// GET /admin/audit/export?format=ndjson|csv[&filters] – the workspace's audit log, streamed as it is read (bounded
// memory on both ends); X-Audit-Events says how many events to expect, for the page's progress bar.
import { requireAdminContext } from "@/lib/auth/admin-session";
import { countAuditEvents } from "@/lib/audit/admin-list";
import { exportAudit } from "@/lib/audit/export";
import { parseAuditQuery } from "@/lib/audit/filters";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { withErrorPage } from "../../../../_lib/error-page";

export const dynamic = "force-dynamic";

export const GET = withErrorPage(async (req) => {
  const admin = await requireAdminContext(req.headers);
  const query = new URL(req.url).searchParams;
  const format = query.get("format") ?? "ndjson";
  if (format !== "ndjson" && format !== "csv") throw new AppError("bad_request");
  query.delete("format");
  const { filters } = parseAuditQuery(query, ["action", "actorType", "actorId", "target", "from", "to"]);
  const workspaceId = admin.workspace.id;
  const total = await countAuditEvents({ workspaceId, filters });
  const chunks = exportAudit({ workspaceId, format, filters });
  // The first chunk is read before answering, so a refusal is still an error page, not a cut-off download.
  const first = await chunks.next();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(encoder.encode(first.value));
      else controller.close();
    },
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        log.warn({ err }, "audit export failed mid-stream");
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(first.done ? null : body, {
    headers: {
      "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}"`,
      "Cache-Control": "no-store",
      "X-Audit-Events": String(total),
    },
  });
});
