// The flood of `npm run bench -- --flood`, in its own process so its 2,500 connections do not share an event loop
// with the client that measures the victim's reads. One argument: JSON {url, connections, duration, kind, xff,
// tokens?}. kind: "trivial" (the URL as is), "random" (a fresh well-formed job token and job id per request) or
// "tokens" (the given tokens in turn, on their own jobs' paths). xff: "fixed" or "random" (a new address per
// request). Prints one JSON line: {requests, statuses, errors, timeouts}.
import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const autocannon = createRequire(import.meta.url)("autocannon");
const { url, connections, duration, kind, xff, tokens = [] } = JSON.parse(process.argv[2]);
const origin = new URL(url).origin;
let next = 0;

function setupRequest(req) {
  const headers = { ...req.headers };
  headers["x-forwarded-for"] = xff === "random" ? `10.${randomBytes(3).join(".")}` : "203.0.113.7";
  if (kind === "random") {
    headers.authorization = `Bearer gh_job_${randomBytes(32).toString("base64url")}`;
    return { ...req, headers, path: `/api/v1/worker/jobs/${randomUUID()}/credentials` };
  }
  if (kind === "tokens") {
    const t = tokens[next++ % tokens.length];
    headers.authorization = `Bearer ${t.token}`;
    return { ...req, headers, path: `/api/v1/worker/jobs/${t.jobId}/credentials` };
  }
  return { ...req, headers };
}

const result = await autocannon({ url: kind === "trivial" ? url : origin, connections, duration, requests: [{ method: "GET", setupRequest }] });
const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
process.stdout.write(`${JSON.stringify({ requests: result.requests.total, statuses, errors: result.errors, timeouts: result.timeouts })}\n`);
