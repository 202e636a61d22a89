// The OpenAPI 3.1 document of /api/v1 (served at GET /api/v1/openapi.json), built from the operation
// registry; every schema in it is zod 4's own JSON Schema output of the schemas the handlers use.
import { z } from "zod";
import { getConfig } from "../config";
import type { ErrorCode } from "../errors";
import {
  defaultMessage,
  errorStatus,
  HTTP_METHODS,
  OTHER_METHOD_ERROR,
  operations,
  type HttpMethod,
  type NamedSchema,
  type Operation,
} from "./operations";
import { errorBody } from "./v1-schemas";

type JsonSchema = Record<string, unknown>;
type Ref = { $ref: string };
type Content = { "application/json": { schema: JsonSchema | Ref } };

export type OpenApiResponse = {
  description: string;
  headers?: Record<string, Ref>;
  content?: Content;
  "x-error-codes"?: ErrorCode[];
};

export type OpenApiOperation = {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: { name: string; in: "path" | "query"; required: boolean; description: string; schema: JsonSchema }[];
  requestBody?: { required: true; content: Content };
  responses: Record<string, OpenApiResponse>;
};

export type OpenApiPathItem = Partial<Record<Lowercase<HttpMethod>, OpenApiOperation>> & {
  "x-other-methods"?: { methods: HttpMethod[]; response: Ref };
};

export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, OpenApiPathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
    headers: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
  };
};

const PATH_PARAMETERS: Record<string, { description: string; schema: z.ZodType }> = {
  jobId: { description: "The job's id, as POST /api/v1/jobs returned it", schema: z.uuid() },
};

const ref = (kind: string, name: string): Ref => ({ $ref: `#/components/${kind}/${name}` });

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    // `format` says it; zod's equivalent regex only makes the document harder to read.
    override: ({ jsonSchema: s }) => {
      if (s.format === "date-time" || s.format === "uuid") delete s.pattern;
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

function allErrorCodes(): [ErrorCode, ...ErrorCode[]] {
  const codes = new Set<ErrorCode>([OTHER_METHOD_ERROR]);
  for (const op of operations) for (const code of op.errors) codes.add(code);
  return [...codes].sort() as [ErrorCode, ...ErrorCode[]];
}

function errorResponse(codes: ErrorCode[], notes: Operation["errorNotes"] = {}): OpenApiResponse {
  const lines = codes.map((c) => `\`${c}\`: ${notes[c] ?? defaultMessage(c)}`);
  const status = errorStatus(codes[0]!);
  const headers: Record<string, Ref> = { "Cache-Control": ref("headers", "CacheControl") };
  if (status === 401) headers["WWW-Authenticate"] = ref("headers", "WWWAuthenticate");
  if (status === 429) headers["Retry-After"] = ref("headers", "RetryAfter");
  if (status === 405) headers.Allow = ref("headers", "Allow");
  return {
    description: lines.join("\n\n"),
    headers,
    content: {
      "application/json": {
        schema: { allOf: [ref("schemas", "Error"), { properties: { error: { properties: { code: { enum: codes } } } } }] },
      },
    },
    "x-error-codes": codes,
  };
}

function parameters(path: string, query: Operation["query"] = {}): OpenApiOperation["parameters"] {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const inPath = names.map((name) => {
    const p = PATH_PARAMETERS[name];
    if (!p) throw new Error(`No description of the path parameter {${name}}`);
    return { name, in: "path" as const, required: true, description: p.description, schema: jsonSchema(p.schema, "input") };
  });
  const inQuery = Object.entries(query).map(([name, schema]) => ({ name, in: "query" as const, required: false, description: schema.description ?? "", schema: jsonSchema(schema, "input") }));
  const all = [...inPath, ...inQuery];
  return all.length ? all : undefined;
}

export function buildOpenApiDocument({ serverUrl }: { serverUrl: string }): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = { Error: jsonSchema(errorBody(allErrorCodes()), "output") };
  const published = new Map<string, z.ZodType>();
  const publish = ({ name, schema }: NamedSchema, io: "input" | "output"): Ref => {
    const seen = published.get(name);
    if (seen && seen !== schema) throw new Error(`Two schemas are named ${name}`);
    if (!seen) {
      published.set(name, schema);
      schemas[name] = jsonSchema(schema, io);
    }
    return ref("schemas", name);
  };

  const paths: Record<string, OpenApiPathItem> = {};
  for (const op of operations) {
    const responses: Record<string, OpenApiResponse> = {};
    for (const r of op.responses) {
      responses[r.status] = {
        description: r.description,
        headers: { "Cache-Control": ref("headers", "CacheControl") },
        ...(r.body ? { content: { "application/json": { schema: publish(r.body, "output") } } } : {}),
      };
    }
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of op.errors) byStatus.set(errorStatus(code), [...(byStatus.get(errorStatus(code)) ?? []), code]);
    for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) responses[status] = errorResponse(codes, op.errorNotes);

    const params = parameters(op.path, op.query);
    const item = (paths[op.path] ??= {});
    item[op.method.toLowerCase() as Lowercase<HttpMethod>] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: op.security ? [{ [op.security]: [] }] : [],
      ...(params ? { parameters: params } : {}),
      ...(op.requestBody
        ? { requestBody: { required: true as const, content: { "application/json": { schema: publish(op.requestBody, "input") } } } }
        : {}),
      responses,
    };
  }
  for (const [path, item] of Object.entries(paths)) {
    const served = new Set(operations.filter((o) => o.path === path).map((o) => o.method));
    item["x-other-methods"] = { methods: HTTP_METHODS.filter((m) => !served.has(m)), response: ref("responses", "MethodNotAllowed") };
  }

  return {
    openapi: "3.1.0",
    info: {
      title: "Gatehouse API",
      version: "1",
      description:
        'The orchestrator, worker and gateway APIs. Every error is `{"error":{"code","message","details"?}}`; each error response lists the codes it carries in `x-error-codes`. A method a path does not serve (`x-other-methods`) is 405 `method_not_allowed` with `Allow`.',
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: "orchestrator", description: "The service that runs agents (service token)" },
      { name: "worker", description: "A sandboxed agent job (job token)" },
      { name: "gateway", description: "A job asks for a button in its owner's chat; it never learns the link (job token)" },
      { name: "audit", description: "Signed audit checkpoints, for keeping outside Gatehouse (service token)" },
      { name: "meta", description: "About the API itself" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        serviceToken: { type: "http", scheme: "bearer", bearerFormat: "gh_svc_<43 base64url characters>", description: "A service token of one workspace (`gatehouse token issue`)." },
        jobToken: { type: "http", scheme: "bearer", bearerFormat: "gh_job_<43 base64url characters>", description: "The token of one job, from POST /api/v1/jobs or a rotation." },
      },
      headers: {
        CacheControl: { description: "Always `no-store`.", schema: { type: "string", const: "no-store" } },
        WWWAuthenticate: { description: 'Always `Bearer realm="gatehouse"`.', schema: { type: "string" } },
        RetryAfter: { description: "Seconds until the budget's window ends.", schema: { type: "integer", minimum: 1 } },
        Allow: { description: "The methods this path serves.", schema: { type: "string" } },
      },
      responses: { MethodNotAllowed: errorResponse([OTHER_METHOD_ERROR]) },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document for this deployment's public URL, built once. */
export function getOpenApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument({ serverUrl: getConfig().publicUrl });
  return cached;
}
