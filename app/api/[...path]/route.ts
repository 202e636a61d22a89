// Any /api path no route serves: the JSON error shape (SPEC §10), not Next's HTML 404 page.
import { AppError } from "@/lib/errors";
import { toResponse } from "@/lib/http/respond";

const notFound = async () => toResponse(new AppError("not_found", "No API endpoint at this path."));

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
