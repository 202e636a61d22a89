"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";

declare global {
  interface Window {
    Telegram?: { WebApp?: { initData?: string; ready?: () => void; themeParams?: Record<string, unknown> } };
  }
}

type Workspace = { workspaceId: string; workspaceName: string };
type Status =
  | { kind: "working" }
  | { kind: "choose"; workspaces: Workspace[] }
  | { kind: "error"; message: string };

const MESSAGES = {
  notVerified: "The sign-in data from Telegram could not be verified. Open the Mini App again from the bot.",
  rateLimited: "Too many attempts; wait a minute.",
  generic: "Something went wrong. Try again in a moment.",
};

/** initData from the Telegram SDK if a client injected it, else from the `#tgWebAppData=` launch hash. */
function readInitData(): string | null {
  const fromSdk = window.Telegram?.WebApp?.initData;
  if (fromSdk) return fromSdk;
  return new URLSearchParams(window.location.hash.slice(1)).get("tgWebAppData") || null;
}

const noSubscription = () => () => {};

const THEME_KEY = /^[a-z_]{1,40}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** Telegram's theme: from its SDK if a client injected it, else from the `#tgWebAppThemeParams=` launch hash. */
function readThemeParams(): Record<string, unknown> {
  const fromSdk = window.Telegram?.WebApp?.themeParams;
  if (fromSdk && typeof fromSdk === "object") return fromSdk;
  try {
    const parsed: unknown = JSON.parse(new URLSearchParams(window.location.hash.slice(1)).get("tgWebAppThemeParams") ?? "{}");
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The --tg-theme-* variables Telegram's SDK would set (only well-formed colours), and the scheme its background implies. */
function applyTheme(root: HTMLElement) {
  const params = readThemeParams();
  for (const [key, value] of Object.entries(params)) {
    if (THEME_KEY.test(key) && typeof value === "string" && COLOR.test(value)) {
      document.documentElement.style.setProperty(`--tg-theme-${key.replaceAll("_", "-")}`, value);
    }
  }
  const bg = typeof params.bg_color === "string" && COLOR.test(params.bg_color) ? params.bg_color : null;
  if (bg) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(bg.slice(i, i + 2), 16));
    root.dataset.tgScheme = 0.299 * r! + 0.587 * g! + 0.114 * b! < 128 ? "dark" : "light";
  }
}

async function signIn(initData: string, workspaceId?: string): Promise<Status> {
  try {
    const res = await fetch("/api/telegram/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(workspaceId ? { initData, workspaceId } : { initData }),
    });
    const body = (await res.json().catch(() => null)) as
      | { redirect?: unknown; choose?: Workspace[]; error?: { message?: unknown } }
      | null;
    // Only ever follow a path on this site.
    if (res.ok && typeof body?.redirect === "string" && /^\/(?![/\\])/.test(body.redirect)) {
      window.location.replace(body.redirect);
      return { kind: "working" };
    }
    if (res.ok && Array.isArray(body?.choose)) return { kind: "choose", workspaces: body.choose };
    if (res.status === 401) return { kind: "error", message: typeof body?.error?.message === "string" ? body.error.message : MESSAGES.notVerified };
    // 403: not a member; 410: the invite in the Mini App link is not valid (any longer).
    if ((res.status === 403 || res.status === 410) && typeof body?.error?.message === "string") return { kind: "error", message: body.error.message };
    if (res.status === 429) return { kind: "error", message: MESSAGES.rateLimited };
    return { kind: "error", message: MESSAGES.generic };
  } catch {
    return { kind: "error", message: MESSAGES.generic };
  }
}

export function MiniApp() {
  // undefined while rendering on the server (the hash never reaches it), null when there is no initData.
  const initData = useSyncExternalStore(noSubscription, readInitData, () => undefined);
  const [status, setStatus] = useState<Status>({ kind: "working" });
  // Each initData is accepted once, so a second mount (React strict mode) must not post it again.
  const started = useRef(false);
  const pickerHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const root = document.querySelector<HTMLElement>(".tg-app");
    if (root) applyTheme(root);
  }, []);

  useEffect(() => {
    window.Telegram?.WebApp?.ready?.();
    if (!initData || started.current) return;
    started.current = true;
    void signIn(initData).then(setStatus);
  }, [initData]);

  useEffect(() => {
    if (status.kind === "choose") pickerHeading.current?.focus();
  }, [status.kind]);

  function choose(workspaceId: string) {
    if (!initData) return;
    setStatus({ kind: "working" });
    void signIn(initData, workspaceId).then(setStatus);
  }

  if (initData === null) {
    return (
      <Card>
        <p>Open this page from the Telegram bot&apos;s menu button.</p>
      </Card>
    );
  }

  return (
    <Card>
      {status.kind === "working" ? (
        <p role="status" aria-live="polite" className="flex items-center gap-3">
          <span aria-hidden="true" className="size-4 animate-spin rounded-full border-2 border-(--tg-border) border-t-(--tg-accent)" />
          Signing you in…
        </p>
      ) : null}

      {status.kind === "error" ? (
        <p role="alert">
          {status.message}
        </p>
      ) : null}

      {status.kind === "choose" ? (
        <div className="flex flex-col gap-4">
          <div>
            <h2 ref={pickerHeading} tabIndex={-1} id="choose-workspace" className="text-lg font-semibold">
              Choose a workspace
            </h2>
            <p className="mt-1 text-(--tg-hint)">Your Telegram account belongs to several workspaces.</p>
          </div>
          <ul aria-labelledby="choose-workspace" className="flex flex-col gap-2">
            {status.workspaces.map((w) => (
              <li key={w.workspaceId}>
                <button
                  type="button"
                  onClick={() => choose(w.workspaceId)}
                  className="w-full rounded-lg bg-(--tg-button) px-4 py-3 text-left font-medium text-(--tg-button-text) hover:opacity-90"
                >
                  {w.workspaceName}
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </Card>
  );
}

function Card({ children }: { children: React.ReactNode }) {
  return <section className="rounded-xl border border-(--tg-border) bg-(--tg-card) p-5 text-(--tg-text) shadow-sm">{children}</section>;
}
