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
  /** Every response's latency, sorted (so runs against several instances can be combined exactly). */
  latencies: number[];
};

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * `window` (epoch ms, from a function so it can be set once the run is under way) keeps only the responses to
 * requests sent inside it; the statuses, counts and rate are then of those alone.
 */
export async function load(label: string, opts: AutocannonOptions, window?: () => { from: number; until: number }): Promise<LoadResult> {
  const latencies: number[] = [];
  const kept: Record<string, number> = {};
  const instance = autocannon(opts);
  instance.on("response", (_client, status, _bytes, responseTime) => {
    if (window) {
      const sent = Date.now() - responseTime;
      const { from, until } = window();
      if (sent < from || sent > until) return;
      kept[status] = (kept[status] ?? 0) + 1;
    }
    latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const statuses = window ? kept : Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const requests = latencies.length;
  if (window) {
    const { from, until } = window();
    const non2xx = Object.entries(kept).filter(([c]) => !c.startsWith("2")).reduce((a, [, n]) => a + n, 0);
    return { ...summary(label, latencies, statuses, result), seconds: (until - from) / 1000, reqPerSec: requests / ((until - from) / 1000), non2xx };
  }
  return summary(label, latencies, statuses, result);
}

function summary(label: string, latencies: number[], statuses: Record<string, number>, result: AutocannonResult): LoadResult {
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
    latencies,
  };
}

/** Runs against several instances at once, as one: counts and rates summed, percentiles over every response. */
export function combine(label: string, runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const sum = (k: "non2xx" | "errors" | "timeouts" | "reqPerSec") => runs.reduce((a, r) => a + r[k], 0);
  const requests = latencies.length;
  return {
    label,
    seconds: Math.max(...runs.map((r) => r.seconds)),
    requests,
    reqPerSec: sum("reqPerSec"),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: requests ? latencies.reduce((a, b) => a + b, 0) / requests : NaN,
    max: latencies[requests - 1] ?? NaN,
    statuses,
    non2xx: sum("non2xx"),
    errors: sum("errors"),
    timeouts: sum("timeouts"),
    latencies,
  };
}
