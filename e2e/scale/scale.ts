// What the scale specs share: the topology the global setup started (scripts/scale-harness.ts), and plain-fetch
// requests to one chosen instance (A, B or C directly, or haproxy), so a test decides which instance serves what.
import { sign } from "@tma.js/init-data-node";
import type { ScaleTopology } from "../../scripts/lib/scale-topology";
import { E2E_TELEGRAM_BOT_TOKEN } from "../helpers/env";
import { randomIp } from "../helpers/fixtures";

export function scaleTopology(): ScaleTopology {
  const raw = process.env.SCALE_TOPOLOGY;
  if (!raw) throw new Error("SCALE_TOPOLOGY is not set: run the scale specs with `npm run test:scale` (playwright.scale.config.ts)");
  return JSON.parse(raw) as ScaleTopology;
}

const T = scaleTopology();
/** Every instance believes it is GATEHOUSE_PUBLIC_URL (haproxy): same-origin requests carry that Origin. */
export const ORIGIN = T.haproxyUrl;

export type Reply = { status: number; text: string; headers: Headers; json<T = unknown>(): T };

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: <T,>() => JSON.parse(text) as T };
}

type Options = { cookie?: string; bearer?: string; json?: unknown; form?: Record<string, string>; origin?: boolean };

/** One request to `base` (an instance or haproxy), its own client address, no redirects followed. */
export async function call(base: string, method: string, path: string, opts: Options = {}): Promise<Reply> {
  const headers: Record<string, string> = { "X-Forwarded-For": randomIp() };
  if (opts.cookie) headers.Cookie = `gh_session=${opts.cookie}`;
  if (opts.bearer) headers.Authorization = `Bearer ${opts.bearer}`;
  if (opts.origin ?? method !== "GET") headers.Origin = ORIGIN;
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  return reply(await fetch(`${base}${path}`, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(20_000) }));
}

/** The Continue POST of a link's interstitial on `base`. */
export const openLink = (base: string, linkId: string) => call(base, "POST", "/settings/open", { form: { s: linkId } });

/** The raw gh_session value a response set, if any. */
export const sessionSet = (r: Reply) => /(?:^|[\s,])gh_session=([A-Za-z0-9_-]{43});/.exec(r.headers.get("set-cookie") ?? "")?.[1];

/** Signed Telegram Mini App initData for a user, as Telegram would hand it to the page. */
export const initDataFor = (telegramId: string) => sign({ user: { id: Number(telegramId), first_name: "Scale" } }, E2E_TELEGRAM_BOT_TOKEN, new Date());

/** How many of each status, e.g. {303: 1, 410: 49}. */
export const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
