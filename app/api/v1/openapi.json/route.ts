// GET /api/v1/openapi.json — the OpenAPI 3.1 document of /api/v1; no auth, since it holds no secrets.
import { getOpenApiDocument } from "@/lib/api/openapi";
import { withJsonErrors } from "@/lib/auth/wrap";
import { json, otherMethods } from "@/lib/http/respond";

export const GET = withJsonErrors(async () => json(getOpenApiDocument()), { bearer: false });

export const { HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
