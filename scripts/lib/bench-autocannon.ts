// A typed wrapper over autocannon (it ships no types): one fixed-duration run against one URL, with the exact
// latency of every response (autocannon's own histogram rounds to whole milliseconds) and its status codes.
import { createRequire } from "node:module";

type AutocannonOptions = {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
};

type AutocannonResult = {
  duration: number;
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
};

type Instance = Promise<AutocannonResult> & {
  on(event: "response", fn: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): void;
};

const autocannon = createRequire(import.meta.url)("autocannon") as (opts: AutocannonOptions) => Instance;

export type LoadResult = {
  label: string;
  seconds: number;
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
};

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export async function load(label: string, opts: AutocannonOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon(opts);
  instance.on("response", (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const requests = latencies.length;
  return {
    label,
    seconds: result.duration,
    requests,
    // Completed responses over the measured wall time (autocannon's `duration`, in seconds).
    reqPerSec: requests / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: requests ? latencies.reduce((a, b) => a + b, 0) / requests : NaN,
    max: latencies[requests - 1] ?? NaN,
    statuses,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
