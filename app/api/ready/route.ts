// GET /api/ready – 200 {db:"ok",redis:"ok"} when both answer, 503 otherwise.
import { checkReadiness } from "@/lib/health/readiness";
import { json, otherMethods } from "@/lib/http/respond";

export const dynamic = "force-dynamic";

export async function GET() {
  const { ready, db, redis } = await checkReadiness();
  return json({ db, redis }, { status: ready ? 200 : 503 });
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
