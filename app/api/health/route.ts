// GET /api/health – the process is up (no dependency checks; see /api/ready).
import { json, otherMethods } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export function GET() {
  return json({ status: "ok" });
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
